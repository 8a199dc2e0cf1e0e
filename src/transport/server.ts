// Building, binding and stopping the controller's gRPC server.
import * as grpc from "@grpc/grpc-js";
import type { DescFile, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type ContextValues,
  type ServiceImpl,
} from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../gen/ts/google/rpc/status_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import { MAX_MESSAGE_BYTES, registerService, registeredServices, type Authenticate } from "./adapter.js";
import { createCallTracker, loggingCallHook, type CallLogHook } from "./calllog.js";
import { serveConnectProtocol, type ConnectMount } from "./connect-protocol.js";
import { DescriptorIndex } from "./descriptors.js";
import { HealthState, ServingStatus, createHealthService } from "./health.js";
import { silentLogger, type Logger } from "./log.js";
import { createReflectionV1, createReflectionV1Alpha } from "./reflection.js";

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

/**
 * TLS credentials for the API port. Clients pin the controller's CA, so the chain
 * is just the server certificate; client certificates are not requested (callers
 * authenticate with bearer tokens).
 */
export function createServerCredentials(tls: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    false,
  );
}

/** One service to mount, with its implementation kept type-checked against the descriptor. */
export interface ServiceRegistration {
  service: DescService;
  impl: object;
  /** false: this service does its own authentication (e.g. login). */
  authenticate: boolean;
}

export function serviceRegistration<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  opts: { authenticate?: boolean } = {},
): ServiceRegistration {
  return { service, impl, authenticate: opts.authenticate ?? true };
}

/**
 * Aborted when the server starts draining. Handlers of long-lived streams (status
 * watches) should end when it fires, so graceful shutdown does not have to wait
 * for the grace period to cut them off.
 */
export const serverDrainingKey = createContextKey<AbortSignal>(new AbortController().signal, {
  description: "server draining signal",
});

export interface StartServerOptions {
  /** "host:port"; port 0 picks a free port. */
  address: string;
  /** Serve TLS with this certificate. Required unless `insecure` is set. */
  tls?: TlsMaterial;
  /** Plaintext, for local debugging only; must be asked for explicitly. */
  insecure?: boolean;
  services?: ServiceRegistration[];
  /** Runs before every call of `services` registered with authenticate: true. */
  authenticate?: Authenticate;
  logger?: Logger;
  /** Per-call record; defaults to loggingCallHook(logger). */
  onCall?: CallLogHook;
  /** `buf build` image for reflection (comments included); embedded descriptors fill gaps. */
  descriptorImage?: Uint8Array;
  /** Which reflection versions to serve; both by default. */
  reflection?: { v1?: boolean; v1alpha?: boolean };
  /** Extra per-call context values (the draining signal is always set). */
  contextValues?: () => ContextValues;
  /** grpc-js options, merged over the defaults below. */
  grpcOptions?: grpc.ServerOptions;
  /**
   * Also serve the Connect protocol and gRPC-Web on the same port, with the same
   * services, authentication, limits and call log (on by default): `buf curl` with
   * its default protocol, browsers and plain `curl` then work. `http1: false`
   * keeps Connect HTTP/2-only; HTTP/1.1 is only ever offered with TLS.
   */
  connectProtocol?: boolean | { http1?: boolean };
}

export interface RunningServer {
  /** The bound port (the real one when the address asked for 0). */
  port: number;
  server: grpc.Server;
  health: HealthState;
  /** Stop accepting calls, let in-flight ones finish, force after `graceMs`. */
  shutdown(graceMs?: number): Promise<void>;
}

export const DEFAULT_GRACE_MS = 10_000;
/** After the grace period: how long cancelled handlers get to send their status. */
const FORCE_SETTLE_MS = 250;

/** Resolves after `ms`; unref'd so a pending shutdown timer never keeps the process alive by itself. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Limits and keepalive. Server pings every 60 s on idle connections with a 20 s
 * timeout, so a vanished client holding a watch stream is noticed in under a
 * minute and a half, without measurable overhead.
 */
export const defaultGrpcOptions: grpc.ServerOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
};

/** Build, populate and bind a server; resolves once it accepts connections. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  if (!opts.tls && !opts.insecure) {
    throw new Error("startServer: TLS material is required (set insecure: true for a plaintext debug listener)");
  }
  const logger = opts.logger ?? silentLogger;
  const drain = new AbortController();
  const force = new AbortController();
  const tracker = createCallTracker(opts.onCall ?? loggingCallHook(logger));
  const server = new grpc.Server({
    ...defaultGrpcOptions,
    ...opts.grpcOptions,
    interceptors: [tracker.interceptor, ...(opts.grpcOptions?.interceptors ?? [])],
  });

  const contextValues = () => (opts.contextValues?.() ?? createContextValues()).set(serverDrainingKey, drain.signal);
  const base = { logger, shutdownSignal: force.signal, contextValues, tls: !!opts.tls };

  // Everything mounted on grpc-js, to mount on the Connect router too.
  const mounts: ConnectMount[] = [];
  const mount = <S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>, authenticate?: Authenticate) => {
    registerService(server, service, impl, { ...base, authenticate });
    mounts.push({ service, impl, authenticate });
  };

  const health = new HealthState();
  for (const reg of opts.services ?? []) {
    mount(reg.service, reg.impl as Partial<ServiceImpl<DescService>>, reg.authenticate ? opts.authenticate : undefined);
    health.set(reg.service.typeName, ServingStatus.SERVING);
  }

  // Health and reflection are deliberately unauthenticated (api.md): probes and
  // tools must work before anyone has a token.
  mount(Health, createHealthService(health));
  health.set(Health.typeName, ServingStatus.SERVING);

  const versions = { v1: true, v1alpha: true, ...opts.reflection };
  if (versions.v1 || versions.v1alpha) {
    const files: DescFile[] = [
      ...(opts.services ?? []).map((r) => r.service.file),
      Health.file,
      ReflectionV1.file,
      ReflectionV1Alpha.file,
      // Error details travel in every failing call's trailers; clients must be able
      // to resolve them even if no service imports these files.
      file_google_rpc_status,
      file_google_rpc_error_details,
    ];
    const reflectionOpts = {
      index: new DescriptorIndex({ image: opts.descriptorImage, files }),
      listServices: () => registeredServices(server),
      drainSignal: drain.signal,
    };
    if (versions.v1) mount(ReflectionV1, createReflectionV1(reflectionOpts));
    if (versions.v1alpha) mount(ReflectionV1Alpha, createReflectionV1Alpha(reflectionOpts));
  }

  const credentials = opts.tls ? createServerCredentials(opts.tls) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(opts.address, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  const connectOpts = opts.connectProtocol ?? true;
  const connect = connectOpts
    ? serveConnectProtocol(server, {
        mounts,
        logger,
        tracker,
        contextValues,
        shutdownSignal: force.signal,
        http1: typeof connectOpts === "object" ? connectOpts.http1 : undefined,
      })
    : undefined;
  logger.info("grpc server listening", {
    address: opts.address,
    port,
    tls: !!opts.tls,
    protocols: connect ? ["grpc", "connect", "grpc-web"] : ["grpc"],
    ...(connect ? { http1: connect.http1 } : {}),
  });
  if (!opts.tls) logger.warn("grpc server is listening WITHOUT TLS (insecure debug mode)", { port });

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = DEFAULT_GRACE_MS): Promise<void> => {
    stopping ??= (async () => {
      // Order matters: health first so probes stop routing here, then end the
      // open-ended streams, then wait for the remaining calls to finish.
      health.shutdown();
      drain.abort(new ConnectError("server is shutting down", Code.Unavailable));
      connect?.drain();
      const graceful = new Promise<"closed">((resolve) => server.tryShutdown(() => resolve("closed")));
      const outcome = await Promise.race([
        graceful,
        tracker.whenIdle().then(() => "idle" as const),
        delay(graceMs).then(() => "timeout" as const),
      ]);
      if (outcome === "timeout") {
        logger.warn("grace period over, cancelling remaining calls", { graceMs, active: tracker.active() });
        // Abort the handlers' signals first and give them a moment to answer
        // UNAVAILABLE, so clients see a retryable status instead of a torn connection.
        force.abort(new ConnectError("server is shutting down", Code.Unavailable));
      }
      if (outcome !== "closed") {
        // Every call has its status now (or had its chance to send one). What can
        // still hold a connection open is a stream whose client never half-closes
        // its request side after the server finished (grpc-js, unlike grpc-go, does
        // not reset such streams), so after a moment to flush, force the rest.
        if ((await Promise.race([graceful, delay(FORCE_SETTLE_MS)])) !== "closed") server.forceShutdown();
      }
      connect?.close();
      const clean = outcome !== "timeout";
      logger.info("grpc server stopped", { port, graceful: clean });
    })();
    return stopping;
  };

  return { port, server, health, shutdown };
}
