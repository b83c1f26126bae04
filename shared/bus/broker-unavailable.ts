import { ErrorCode, NatsError } from "nats";

// What the client says while the broker (or a stream's leader) is away: a restart, a reconnect, a cluster election.
const unreachable = new Set<string>([
  ErrorCode.Timeout,
  ErrorCode.NoResponders,
  ErrorCode.JetStream408RequestTimeout,
  ErrorCode.Disconnect,
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
]);
// JetStream API answers that mean "no leader yet" rather than "no": JSClusterNotAvailErr, JSClusterNotLeaderErr,
// JSClusterNoPeersErr, JSClusterNotActiveErr, JSStreamNotCurrent... (nats-server's errors.json).
const electing = new Set<number>([10008, 10074, 10040, 10006, 10076]);

/**
 * True when an error means the broker could not be reached or had no leader for the stream, and so says nothing
 * about the message: the delivery should wait for the broker like it waits for any other dependency, not spend
 * the handful of attempts a bug gets and end in a dead letter. Walks `cause`, since effects wrap what they caught.
 */
export function isBrokerUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (!(e instanceof NatsError)) continue;
    if (unreachable.has(e.code)) return true;
    const api = e.api_error;
    if (api && (api.code === 503 || api.code === 408 || electing.has(api.err_code ?? 0))) return true;
  }
  return false;
}
