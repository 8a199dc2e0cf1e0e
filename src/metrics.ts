// Prometheus metrics (issue 12 item 5): `ferryd --metrics-listen host:port`
// serves the text exposition format at /metrics, through prom-client (the
// only file that uses it). Each node serves its own figures; Prometheus adds
// the nodes of an HA controller up (sum by controller), as it does for any
// replicated service. What is counted where:
//   - RPCs by method and code, with latency histograms: the call log hook
//     (transport/calllog.ts), so every call counts, refused ones included;
//   - migrations by phase: read from the store at scrape time (they are the
//     controller's, whichever node drives them); outcomes, phase durations,
//     bytes and entities moved: observed by this node's worker as it commits;
//   - redirects served, per model; agents connected to this node; the event
//     loop's lag (prom-client's default Node.js metrics, beside CPU and RSS);
//   - the busiest models by API calls over the last minute (ModelLoad).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "./store/index.js";
import type { CallRecord } from "./transport/calllog.js";
import { processLoad, type ModelLoad } from "./load.js";

const TOP_MODELS = 10;

/** "/ferry.v1.ModelService/GetStatus" -> "ferry.v1.ModelService/GetStatus"; unknown paths as one label. */
function methodLabel(path: string): string {
  return /^\/[\w.]+\/\w+$/.test(path) && path.length < 120 ? path.slice(1) : "unknown";
}

export interface MigrationEnd {
  outcome: "done" | "aborted" | "reap_failed";
  bytes: number;
  entities: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly load: ModelLoad;
  private readonly rpcs: Counter<"method" | "code">;
  private readonly rpcSeconds: Histogram<"method">;
  private readonly migrationsEnded: Counter<"outcome">;
  private readonly phaseSeconds: Histogram<"phase">;
  private readonly bytesMoved: Counter;
  private readonly entitiesMoved: Counter;
  private readonly redirects: Counter<"model">;
  private agents = 0;

  constructor(deps: { store: Store; controller: string; load?: ModelLoad }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ controller: deps.controller });
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.load = deps.load ?? processLoad.models;
    this.rpcs = new Counter({
      name: "ferry_rpc_requests_total",
      help: "RPCs answered, by method and gRPC status code.",
      labelNames: ["method", "code"],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: "ferry_rpc_duration_seconds",
      help: "RPC latency (to the status being sent; streams: their whole life), by method.",
      labelNames: ["method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const store = deps.store;
    new Gauge({
      name: "ferry_migrations",
      help: "This controller's migrations (as the source) by phase, active and ended.",
      labelNames: ["phase"],
      registers,
      async collect() {
        this.reset();
        const byPhase = await store.read((tx) => tx.migrations.countByPhase());
        for (const [phase, n] of Object.entries(byPhase)) this.set({ phase }, n);
      },
    });
    this.migrationsEnded = new Counter({
      name: "ferry_migrations_ended_total",
      help: "Migrations this node drove to an end, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    this.phaseSeconds = new Histogram({
      name: "ferry_migration_phase_duration_seconds",
      help: "How long each migration phase took, observed as the phase ends.",
      labelNames: ["phase"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.bytesMoved = new Counter({
      name: "ferry_migration_bytes_total",
      help: "Model description bytes of migrations that completed.",
      registers,
    });
    this.entitiesMoved = new Counter({
      name: "ferry_migration_entities_total",
      help: "Entities of migrations that completed.",
      registers,
    });
    this.redirects = new Counter({
      name: "ferry_redirects_served_total",
      help: "Requests for a migrated model answered with a redirect, by model (owner/name).",
      labelNames: ["model"],
      registers,
    });
    const self = this;
    new Gauge({
      name: "ferry_agents_connected",
      help: "Agent streams open to this node.",
      registers,
      collect() {
        this.set(self.agents);
      },
    });
    const load = this.load;
    new Gauge({
      name: "ferry_model_calls_per_second",
      help: `API calls per second over the last minute for the ${TOP_MODELS} busiest models, by kind (read, write, report).`,
      labelNames: ["model", "kind"],
      registers,
      collect() {
        this.reset();
        for (const r of load.rates(60_000).slice(0, TOP_MODELS)) {
          for (const kind of ["read", "write", "report"] as const) this.set({ model: r.name, kind }, r[kind]);
        }
      },
    });
  }

  // Label lookups hash the label set on every call; the children are cached
  // per method (and code), which keeps a call's accounting to a map lookup.
  private readonly rpcChildren = new Map<string, { inc(): void }>();
  private readonly latencyChildren = new Map<string, { observe(v: number): void }>();

  onCall(r: CallRecord): void {
    const key = `${r.method} ${r.status}`;
    let counter = this.rpcChildren.get(key);
    let latency = this.latencyChildren.get(r.method);
    if (!counter || !latency) {
      const method = methodLabel(r.method);
      counter ??= this.rpcs.labels({ method, code: r.status });
      latency ??= this.rpcSeconds.labels({ method });
      // Unknown paths share one label, and so one child, without growing the maps.
      if (method !== "unknown" && this.rpcChildren.size < 5000) {
        this.rpcChildren.set(key, counter);
        this.latencyChildren.set(r.method, latency);
      }
    }
    counter.inc();
    latency.observe(r.durationMs / 1000);
  }

  redirectServed(model: string): void {
    this.redirects.inc({ model: model.slice(0, 130) });
  }

  phaseEnded(phase: string, seconds: number): void {
    this.phaseSeconds.observe({ phase }, Math.max(0, seconds));
  }

  migrationEnded(end: MigrationEnd): void {
    this.migrationsEnded.inc({ outcome: end.outcome });
    if (end.outcome !== "aborted") {
      this.bytesMoved.inc(end.bytes);
      this.entitiesMoved.inc(end.entities);
    }
  }

  agentConnected(): () => void {
    this.agents++;
    let done = false;
    return () => {
      if (!done) this.agents--;
      done = true;
    };
  }
}

/**
 * The process's metrics, once ferryd made them: code far from the server
 * (redirect errors, the migration worker) reports through this, and does
 * nothing when metrics are off.
 */
export let processMetrics: Metrics | undefined;

export function setProcessMetrics(m: Metrics | undefined): void {
  processMetrics = m;
}

/** Serves /metrics on `listen` ("host:port"; port 0 picks one). */
export async function serveMetrics(metrics: Metrics, listen: string): Promise<{ server: Server; address: string }> {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(listen.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid --metrics-listen "${listen}": expected host:port`);
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at GET /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}` };
}
