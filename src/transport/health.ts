// grpc.health.v1.Health, served through the same adapter as every other service.
// Load balancers, orchestrators and `grpc_health_probe` use it; flipping to
// NOT_SERVING before a graceful shutdown lets them drain traffic away first.
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";

export { ServingStatus };

/** The server's health, per service name ("" is the server as a whole). */
export class HealthState {
  #statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  #version = 0;
  #waiters = new Set<() => void>();
  #shuttingDown = false;

  /** True once shutdown() was called; statuses are then frozen at NOT_SERVING. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Incremented on every change; lets watchers wait without missing one. */
  get version(): number {
    return this.#version;
  }

  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  set(service: string, status: ServingStatus): void {
    // During shutdown a late SERVING from some component must not tell load
    // balancers to send traffic to a server that is going away.
    if (this.#shuttingDown) return;
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    this.#notify();
  }

  /** Every known service becomes NOT_SERVING, for good; Watch streams then end. */
  shutdown(): void {
    if (this.#shuttingDown) return;
    for (const service of this.#statuses.keys()) this.#statuses.set(service, ServingStatus.NOT_SERVING);
    this.#shuttingDown = true;
    this.#notify();
  }

  /** Resolves once the version moved past `since`; rejects with the signal's reason on abort. */
  changedSince(since: number, signal: AbortSignal): Promise<void> {
    if (this.#version !== since) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(done);
        signal.removeEventListener("abort", aborted);
        resolve();
      };
      const aborted = () => {
        this.#waiters.delete(done);
        reject(signal.reason);
      };
      this.#waiters.add(done);
      signal.addEventListener("abort", aborted, { once: true });
    });
  }

  #notify(): void {
    this.#version++;
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** The Health service implementation over a HealthState. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return { status };
    },

    // Per the health protocol: send the current status at once, then every change;
    // an unknown service is SERVICE_UNKNOWN (not an error) because it may appear later.
    async *watch(req, ctx) {
      let sent: ServingStatus | undefined;
      for (;;) {
        const version = state.version;
        const status = state.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== sent) {
          yield { status };
          sent = status;
        }
        if (state.shuttingDown) {
          // A Watch never ends normally; UNAVAILABLE tells the client to go elsewhere
          // rather than to re-watch this server.
          throw new ConnectError("server is shutting down", Code.Unavailable);
        }
        await state.changedSince(version, ctx.signal);
      }
    },
  };
}
