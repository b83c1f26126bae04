import type { Bus, RawBus } from "./connection.js";

/**
 * The NATS client handles behind a Bus, for shared/bus's own modules and for tests that read the broker as an outside
 * client would. The dependency rules (.dependency-cruiser.cjs, bus-handles-stay-in-bus) refuse it to everyone else.
 */
export function rawBus(bus: Bus): RawBus {
  return bus as RawBus;
}
