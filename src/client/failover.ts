// One controller, several addresses (the nodes of an HA controller): a
// transport that sends each call to the address that last worked and moves
// on to the next when that one refuses the connection or is unavailable.
// Only failures that happened before the server saw the call count (no
// ErrorInfo: our own UNAVAILABLE answers, such as MODEL_MIGRATING, always
// carry one), so no call runs twice; calls that stream requests (uploads) go
// to the current address only, since their input cannot be replayed. An
// address is probed with a health check before its first call, so a node
// that accepts connections but does not answer (frozen) costs seconds, not
// the call's whole deadline.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";

/** How long a not-yet-used address gets to answer its health probe. */
export const PROBE_TIMEOUT_MS = 3000;

/** A failure to reach the server at all (connection refused, reset, TLS, GOAWAY, shutting down). */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof ConnectError) || err.code !== Code.Unavailable) return false;
  return err.findDetails(ErrorInfoSchema).length === 0;
}

export interface FailoverOptions {
  addresses: readonly string[];
  /** The transport for one address (made once per address, on first use). */
  transportFor(address: string): Transport;
  /** Called when calls move to another address. */
  onSwitch?(address: string): void;
}

export interface FailoverTransport extends Transport {
  /** The address calls go to now. */
  current(): string;
}

export function failoverTransport(opts: FailoverOptions): FailoverTransport {
  const { addresses } = opts;
  if (!addresses.length) throw new Error("no addresses to connect to");
  const transports = new Map<string, Transport>();
  const ready = new Set<string>();
  let current = 0;
  const transport = (a: string) => {
    let t = transports.get(a);
    if (!t) transports.set(a, (t = opts.transportFor(a)));
    return t;
  };

  /** Checks an address before its first call; any failure counts as "unreachable". */
  async function probe(address: string, signal: AbortSignal | undefined): Promise<void> {
    if (ready.has(address) || addresses.length === 1) return;
    let status: HealthCheckResponse_ServingStatus;
    try {
      const res = await transport(address).unary(
        Health.method.check,
        signal,
        PROBE_TIMEOUT_MS,
        undefined,
        { service: "" },
        undefined,
      );
      status = res.message.status;
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ConnectError(err instanceof ConnectError ? err.rawMessage : String(err), Code.Unavailable);
    }
    // A node shutting down answers NOT_SERVING: go to another.
    if (status !== HealthCheckResponse_ServingStatus.SERVING) {
      throw new ConnectError(`health ${HealthCheckResponse_ServingStatus[status]}`, Code.Unavailable);
    }
    ready.add(address);
  }

  async function attempt<T>(signal: AbortSignal | undefined, call: (t: Transport) => Promise<T>): Promise<T> {
    const tried: string[] = [];
    let last: unknown;
    for (let i = 0; i < addresses.length; i++) {
      const idx = (current + i) % addresses.length;
      const address = addresses[idx]!;
      try {
        await probe(address, signal);
        const out = await call(transport(address));
        if (idx !== current) {
          current = idx;
          opts.onSwitch?.(address);
        }
        return out;
      } catch (err) {
        if (signal?.aborted || !isConnectionFailure(err)) throw err;
        ready.delete(address);
        last = err;
        tried.push(`${address} (${err instanceof ConnectError ? err.rawMessage : String(err)})`);
      }
    }
    if (addresses.length === 1) throw last;
    throw new ConnectError(
      `cannot reach the controller at any of its addresses: ${tried.join(", ")}`,
      Code.Unavailable,
    );
  }

  return {
    current: () => addresses[current]!,
    unary: (method, signal, timeoutMs, header, input, values) =>
      attempt(signal, (t) => t.unary(method, signal, timeoutMs, header, input, values)),
    stream: (method, signal, timeoutMs, header, input, values) =>
      method.methodKind === "server_streaming"
        ? attempt(signal, (t) => t.stream(method, signal, timeoutMs, header, input, values))
        : transport(addresses[current]!).stream(method, signal, timeoutMs, header, input, values),
  };
}
