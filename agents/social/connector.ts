import type { ServiceContext, StateStore } from "../../shared/runtime/index.js";
import { mentionSource } from "./poller.js";
import { platformWindowOf, type PlatformWindow } from "./platform-budget.js";
import { parseSocialSettings, type SocialSettings } from "./settings.js";

/** What the reply handler needs from the running service: shared state, metrics, settings, the platform's window. */
export interface Connector {
  readonly state: StateStore;
  readonly metrics: ServiceContext["metrics"];
  readonly settings: SocialSettings;
  /** The platform's posting window as its last answer to this replica described it. */
  readonly window: PlatformWindow | undefined;
  observe(headers: Readonly<Record<string, string>>): void;
  close(): Promise<void>;
}

/** Starts polling the account's mentions every SOCIAL_POLL_MS; each poll runs after the previous one ended. */
export async function startConnector(svc: ServiceContext): Promise<Connector> {
  const settings = parseSocialSettings(svc.env);
  let window: PlatformWindow | undefined;
  const source = await mentionSource(svc, settings, settings.SOCIAL_TENANT);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  const tick = () => {
    polling = source
      .poll()
      .then((n) => svc.metrics.mesh_social_mentions_total.inc(n))
      .catch((err: unknown) => svc.log.warn({ err }, "polling mentions failed; the next poll retries"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, settings.SOCIAL_POLL_MS);
      });
  };
  tick();
  return {
    state: svc.state,
    metrics: svc.metrics,
    settings,
    get window() {
      return window;
    },
    observe(headers) {
      const seen = platformWindowOf(headers);
      if (!seen) return;
      window = seen;
      svc.metrics.mesh_social_platform_remaining.set(seen.remaining);
      svc.metrics.mesh_social_platform_limit.set(seen.limit);
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      await polling;
    },
  };
}
