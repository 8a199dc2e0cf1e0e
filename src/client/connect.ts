// Typed clients for every Ferry service over one pinned-TLS HTTP/2 connection.
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { SecureClientSessionOptions } from "node:http2";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { AgentService } from "../../gen/ts/ferry/v1/agent_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import type { ModelRedirect } from "../../gen/ts/ferry/v1/errors_pb.js";
import { decodeError } from "./errors.js";
import { failoverTransport } from "./failover.js";

/** Deadline for unary calls that do not set their own. */
export const DEFAULT_UNARY_TIMEOUT_MS = 30_000;

export interface ConnectOptions {
  /** "host:port" of the controller's API. */
  address?: string;
  /**
   * Every address of the controller (the nodes of an HA controller): calls
   * go to the first that answers and move on when one refuses or is
   * unavailable (./failover.ts). Takes the place of `address`.
   */
  addresses?: readonly string[];
  /** Called when calls moved to another of `addresses` (its predecessors did not answer). */
  onAddressChange?(address: string): void;
  /** PEM of the controller's CA: the ONLY trusted root for this connection. */
  caPem: string;
  /** Bearer token; omitted for login, health and controller info. */
  token?: string;
  /** TLS server name to send (SNI), when the address is not the name on the certificate. */
  servername?: string;
  /** Deadline for unary calls; streams have none unless the caller sets one. */
  unaryTimeoutMs?: number;
  /** Extra interceptors, run after auth and error decoding. */
  interceptors?: Interceptor[];
}

export interface FerryClients {
  controller: Client<typeof ControllerService>;
  model: Client<typeof ModelService>;
  migration: Client<typeof MigrationService>;
  migrationTarget: Client<typeof MigrationTargetService>;
  agent: Client<typeof AgentService>;
  health: Client<typeof Health>;
  /** The transport, for services not listed here. */
  transport: Transport;
  /** The address calls go to now. */
  address(): string;
  /** Closes the connection; pending calls fail. */
  close(): void;
}

/** Adds `authorization: Bearer <token>` to every call. */
export function bearerAuth(token: string): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * Rethrows failures as the typed errors of ./errors.ts, for unary calls and
 * for errors that arrive while a response stream is being read.
 */
export const decodeErrors: Interceptor = (next) => async (req) => {
  let res;
  try {
    res = await next(req);
  } catch (err) {
    throw decodeError(err);
  }
  if (!res.stream) return res;
  const inner = res.message;
  return {
    ...res,
    message: (async function* () {
      try {
        yield* inner;
      } catch (err) {
        throw decodeError(err);
      }
    })(),
  };
};

export function baseUrl(address: string): string {
  return `https://${address}`;
}

/**
 * TLS options that trust exactly one CA. The host name is not checked against
 * the certificate: the CA is the controller's own private CA, so any
 * certificate it signed is that controller's, and controllers are reached by
 * addresses (IPs, NAT, port forwards) that need not be on the certificate —
 * the same trust model as the reference system.
 */
export function pinnedTls(caPem: string, servername?: string): SecureClientSessionOptions {
  return {
    ca: caPem,
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
    ...(servername ? { servername } : {}),
  };
}

/**
 * A transport that applies a default deadline to unary calls only, so that
 * watches and log follows (server streams) can run for as long as needed.
 */
function withUnaryDeadline(inner: Transport, timeoutMs: number): Transport {
  return {
    unary: (method, signal, t, header, input, values) =>
      inner.unary(method, signal, t ?? timeoutMs, header, input, values),
    stream: (method, signal, t, header, input, values) => inner.stream(method, signal, t, header, input, values),
  };
}

function interceptorsOf(opts: Pick<ConnectOptions, "token" | "interceptors">): Interceptor[] {
  const interceptors: Interceptor[] = [decodeErrors];
  if (opts.token) interceptors.push(bearerAuth(opts.token));
  interceptors.push(...(opts.interceptors ?? []));
  return interceptors;
}

function clientsFor(transport: Transport, address: () => string, close: () => void): FerryClients {
  return {
    controller: createClient(ControllerService, transport),
    model: createClient(ModelService, transport),
    migration: createClient(MigrationService, transport),
    migrationTarget: createClient(MigrationTargetService, transport),
    agent: createClient(AgentService, transport),
    health: createClient(Health, transport),
    transport,
    address,
    close,
  };
}

/** Build clients over an existing HTTP/2 session manager. */
export function clientsOver(
  sessionManager: Http2SessionManager,
  address: string,
  opts: Pick<ConnectOptions, "token" | "unaryTimeoutMs" | "interceptors"> = {},
): FerryClients {
  const transport = withUnaryDeadline(
    createGrpcTransport({ baseUrl: baseUrl(address), sessionManager, interceptors: interceptorsOf(opts) }),
    opts.unaryTimeoutMs ?? DEFAULT_UNARY_TIMEOUT_MS,
  );
  return clientsFor(
    transport,
    () => address,
    () => sessionManager.abort(),
  );
}

/**
 * Connect to a controller, trusting only `caPem`: at `address`, or at the
 * first of `addresses` that answers (moving on when one stops answering).
 */
export function connect(opts: ConnectOptions): FerryClients {
  const addresses = opts.addresses?.length ? opts.addresses : opts.address ? [opts.address] : [];
  if (!addresses.length) throw new ConnectError("no address to connect to", Code.InvalidArgument);
  if (addresses.length === 1) {
    const address = addresses[0]!;
    const sessionManager = new Http2SessionManager(baseUrl(address), {}, pinnedTls(opts.caPem, opts.servername));
    return clientsOver(sessionManager, address, opts);
  }
  const managers: Http2SessionManager[] = [];
  const failover = failoverTransport({
    addresses,
    transportFor: (address) => {
      const sessionManager = new Http2SessionManager(baseUrl(address), {}, pinnedTls(opts.caPem, opts.servername));
      managers.push(sessionManager);
      return createGrpcTransport({ baseUrl: baseUrl(address), sessionManager, interceptors: interceptorsOf(opts) });
    },
    onSwitch: opts.onAddressChange,
  });
  return clientsFor(
    withUnaryDeadline(failover, opts.unaryTimeoutMs ?? DEFAULT_UNARY_TIMEOUT_MS),
    failover.current,
    () => {
      for (const m of managers) m.abort();
    },
  );
}

export interface FollowOptions extends Pick<ConnectOptions, "token" | "unaryTimeoutMs" | "interceptors"> {
  /** How long the health check that proves the destination answers may take; default 10 s. */
  probeTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Connects to where a redirect points, over all its addresses with the CA it
 * carries (`connect`: each address is health-probed before its first call and
 * passed over when it does not answer SERVING), and proves it with one health
 * check, so a destination with one dead address is still reached and later
 * calls move on to its other addresses if that one stops answering (an HA
 * destination). Rejects with UNAVAILABLE, naming the addresses tried, when
 * none answers.
 */
export async function followRedirect(
  redirect: Pick<ModelRedirect, "addresses" | "caCert" | "controllerName">,
  opts: FollowOptions = {},
): Promise<FerryClients> {
  const { addresses } = redirect;
  if (addresses.length === 0) {
    throw new ConnectError("the redirect has no addresses", Code.FailedPrecondition);
  }
  const clients = connect({ ...opts, addresses, caPem: redirect.caCert });
  try {
    const { status } = await clients.health.check(
      {},
      { timeoutMs: opts.probeTimeoutMs ?? 10_000, signal: opts.signal },
    );
    // A controller shutting down answers NOT_SERVING.
    if (status !== HealthCheckResponse_ServingStatus.SERVING) {
      throw new ConnectError(`health ${HealthCheckResponse_ServingStatus[status]}`, Code.Unavailable);
    }
    return clients;
  } catch (err) {
    clients.close();
    if (opts.signal?.aborted) throw err;
    // With several addresses the failover's message names each one and why.
    const where = addresses.length === 1 ? ` at ${addresses[0]}` : "";
    const why = err instanceof ConnectError ? err.rawMessage : String(err);
    throw new ConnectError(
      `could not reach controller ${JSON.stringify(redirect.controllerName)}${where}: ${why}`,
      Code.Unavailable,
    );
  }
}
