// Talking to the destination controller: the same gRPC API users call
// (MigrationTargetService), over TLS whose ONLY trusted root is the CA the
// user gave us (pinned on every call, host names not checked because
// controllers are reached by IP), authorised by the migration-scoped token.
// The token is sent only after the destination proved, over that pinned TLS,
// that it is the controller the user named (GetControllerInfo is public).
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ControllerService, type Controller as ControllerInfo } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { baseUrl, bearerAuth, pinnedTls } from "../client/connect.js";

export interface TargetSpec {
  controllerUuid: string;
  addresses: string[];
  caCert: string;
  /** Cleartext token: only ever held in memory, never logged. */
  token: string;
}

export interface TargetConnection {
  /** The destination's own description (verified UUID). */
  info: ControllerInfo;
  /** The address that answered. */
  address: string;
  target: Client<typeof MigrationTargetService>;
  close(): void;
}

/** The destination answered, but is not the controller the user named. */
export class WrongControllerError extends Error {
  constructor(
    readonly got: string,
    readonly expected: string,
  ) {
    super(`unexpected destination controller UUID (got ${got}, expected ${expected})`);
  }
}

export interface ConnectTargetOptions {
  /** Deadline of each unary call (default 15 s). */
  unaryTimeoutMs?: number;
  signal?: AbortSignal;
}

function session(address: string, caPem: string): Http2SessionManager {
  // PINGs make a stream notice a destination that vanished without a FIN
  // (host down, network cut) instead of waiting forever.
  return new Http2SessionManager(baseUrl(address), { pingIntervalMs: 10_000, pingTimeoutMs: 10_000 }, pinnedTls(caPem));
}

/**
 * A deadline for unary calls only: the document and log streams of a big
 * model may rightly run for minutes, and are cancelled by signal instead.
 */
function transportFor(sm: Http2SessionManager, address: string, timeoutMs: number, token?: string): Transport {
  const inner = createGrpcTransport({
    baseUrl: baseUrl(address),
    sessionManager: sm,
    interceptors: token ? [bearerAuth(token)] : [],
  });
  return {
    unary: (method, signal, t, header, input, values) =>
      inner.unary(method, signal, t ?? timeoutMs, header, input, values),
    stream: (method, signal, t, header, input, values) => inner.stream(method, signal, t, header, input, values),
  };
}

/**
 * Connects to the first address that answers, checks its UUID, and returns
 * a token-bearing client for MigrationTargetService. Throws the last
 * connection error (or WrongControllerError) when none works.
 */
export async function connectTarget(spec: TargetSpec, opts: ConnectTargetOptions = {}): Promise<TargetConnection> {
  const timeoutMs = opts.unaryTimeoutMs ?? 15_000;
  let lastErr: unknown = new Error("no destination addresses");
  for (const address of spec.addresses) {
    const sm = session(address, spec.caCert);
    try {
      const anon = createClient(ControllerService, transportFor(sm, address, timeoutMs));
      const { controller } = await anon.getControllerInfo({}, { signal: opts.signal });
      if (!controller) throw new Error("destination sent no controller info");
      if (controller.uuid.toLowerCase() !== spec.controllerUuid.toLowerCase()) {
        throw new WrongControllerError(controller.uuid, spec.controllerUuid);
      }
      const target = createClient(MigrationTargetService, transportFor(sm, address, timeoutMs, spec.token));
      return { info: controller, address, target, close: () => sm.abort() };
    } catch (err) {
      sm.abort();
      if (err instanceof WrongControllerError) throw err;
      lastErr = err;
    }
  }
  throw lastErr;
}

/** A short human reason for a failed call, without the token or stack. */
export function describeError(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage || Code[err.code];
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The ErrorInfo reason of a destination's error ("" when none). */
export function errorReason(err: unknown): string {
  if (!(err instanceof ConnectError)) return "";
  return err.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
}

/**
 * Whether the destination refused on purpose in a way repeating cannot fix
 * (a revoked or expired token, a model that is gone or in the wrong state,
 * a request it rejects), or we reached the wrong controller.
 */
export function isPermanentRefusal(err: unknown): boolean {
  if (err instanceof WrongControllerError) return true;
  if (!(err instanceof ConnectError)) return false;
  switch (err.code) {
    case Code.Unauthenticated:
    case Code.PermissionDenied:
    case Code.NotFound:
    case Code.FailedPrecondition:
    case Code.InvalidArgument:
      return true;
    default:
      return false;
  }
}

/**
 * Whether a failed destination call may succeed if repeated: the connection
 * or the destination was down, or it was briefly busy. Answers the
 * destination gave on purpose (bad data, refused token) are not retried.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof WrongControllerError) return false;
  if (!(err instanceof ConnectError)) return true; // socket-level errors thrown raw
  switch (err.code) {
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.Aborted:
    case Code.ResourceExhausted:
      return true;
    case Code.Unknown:
    case Code.Internal:
      // connect-node reports broken connections as Unknown/Internal too.
      return /ECONNREFUSED|ECONNRESET|EPIPE|socket|GOAWAY|stream|closed|session|network/i.test(err.rawMessage);
    case Code.Canceled:
      return true;
    default:
      return false;
  }
}
