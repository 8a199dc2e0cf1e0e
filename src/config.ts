// ferryd configuration: flags win over environment variables, which win over
// defaults chosen so that `npm start` just works on a fresh machine.
import { homedir } from "node:os";
import { join } from "node:path";
import type { StoreSpec } from "./store/index.js";
import { isLogLevel, type LogLevel } from "./transport/log.js";
import { FERRY_VERSION } from "./version.js";

export { FERRY_VERSION } from "./version.js";

export interface ControllerConfig {
  name: string;
  cloud: string;
  cloudType: string;
  region: string;
  /** Regions the cloud offers; the default region is always among them. */
  regions: string[];
  agentVersion: string;
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  /** host:port for Prometheus metrics at /metrics; off when unset. */
  metricsListen?: string;
  dataDir: string;
  /** The store: the embedded SQLite file in the data dir, or a PostgreSQL database several nodes share. */
  store: StoreSpec;
  /** Extra host names / IPs for the server certificate and API addresses. */
  hostnames: string[];
  /** Plaintext listener, for local debugging only. */
  insecure: boolean;
  logLevel: LogLevel;
  tokenTtlMs: number;
  migrationTokenTtlMs: number;
  /** Where to write {"address","pid"} once listening (bootstrap waits for it). */
  portFile?: string;
  /** Read the first admin password from the first line of stdin. */
  adminPasswordStdin: boolean;
  /** Simulated provisioning delay for machines and units. */
  provisionDelayMs: number;
  /** Grace period for in-flight calls on shutdown. */
  shutdownGraceMs: number;
  /** Test knob FERRY_LOGIN_TEST_DELAY_MS: every login this much slower (deadline tests). */
  loginTestDelayMs: number;
  /**
   * Lease time of singular work (migrations, a model's simulated agents): a
   * node that stops renewing loses its work to another node within about
   * this long; also how long a silent node still counts as live.
   */
  leaseTtlMs: number;
  /** "process": machines get ferry-agent processes; "none": agent statuses are simulated. */
  agents: "process" | "none";
  /** An agent silent this long is shown down/lost. */
  agentTimeoutMs: number;
  /** Each unit's workload report interval. */
  workloadIntervalMs: number;
  /** Machines per ferry-agent process. */
  agentsPerProcess: number;
}

export type RawOptions = Partial<Record<string, string | boolean | string[] | undefined>>;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid ${name}: ${v}`);
  return n;
}

function list(v: unknown): string[] {
  if (Array.isArray(v))
    return v
      .flatMap((s) => String(s).split(","))
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof v === "string")
    return v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  return [];
}

/**
 * `--store`: "sqlite" (the default: <data-dir>/ferry.db) or a PostgreSQL URL
 * (postgres://user[:password]@host:port/db; FERRY_STORE). Several ferryd
 * processes started with the same URL are one controller.
 */
export function parseStoreSpec(value: string | undefined, dataDir: string): StoreSpec {
  if (value === undefined || value === "sqlite") return { engine: "sqlite", file: join(dataDir, "ferry.db") };
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new Error(`invalid --store URL: want postgres://user@host:port/database`);
    }
    return { engine: "postgres", url: value };
  }
  throw new Error(`invalid --store "${value.slice(0, 40)}": want "sqlite" or a postgres://user@host:port/database URL`);
}

/** The store for logs and messages: a PostgreSQL URL without its password. */
export function describeStore(spec: StoreSpec): string {
  if (spec.engine === "sqlite") return spec.file;
  const u = new URL(spec.url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** --lease-ttl in seconds (fractions allowed): between 0.5 and 15, default 10. */
function leaseTtl(v: string | undefined): number {
  if (v === undefined) return 10_000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.5 || n > 15) throw new Error(`invalid lease TTL ${v}: seconds between 0.5 and 15`);
  return Math.round(n * 1000);
}

function agentsMode(v: string | undefined): "process" | "none" {
  if (v === undefined) return "none";
  if (v === "process" || v === "none") return v;
  throw new Error(`invalid --agents "${v.slice(0, 40)}": "process" (a ferry-agent per machine group) or "none"`);
}

/** A duration given in seconds (fractions allowed), as ms. */
function seconds(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`invalid ${name} ${v}: seconds between ${min} and ${max}`);
  return Math.round(n * 1000);
}

/** Resolves the configuration from parsed flags and the environment. */
export function resolveConfig(flags: RawOptions, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const name = str(flags.name) ?? str(env.FERRY_CONTROLLER_NAME) ?? "ferry";
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new Error(`invalid controller name "${name}": lower-case letters, digits and '-'`);
  }
  const region = str(flags.region) ?? str(env.FERRY_REGION) ?? "localhost";
  const regions = list(flags.regions ?? env.FERRY_REGIONS);
  if (!regions.includes(region)) regions.unshift(region);
  const logLevel = str(flags.logLevel) ?? str(env.FERRY_LOG_LEVEL) ?? "info";
  if (!isLogLevel(logLevel)) throw new Error(`invalid log level "${logLevel}": debug, info, warn or error`);
  const dataHome = str(env.XDG_DATA_HOME) ?? join(homedir(), ".local", "share");
  const dataDir = str(flags.dataDir) ?? str(env.FERRY_DATA_DIR) ?? join(dataHome, "ferryd", name);
  return {
    name,
    cloud: str(flags.cloud) ?? str(env.FERRY_CLOUD) ?? "localhost",
    cloudType: str(flags.cloudType) ?? str(env.FERRY_CLOUD_TYPE) ?? "lxd",
    region,
    regions,
    agentVersion: str(flags.agentVersion) ?? str(env.FERRY_AGENT_VERSION) ?? FERRY_VERSION,
    listen: str(flags.listen) ?? str(env.FERRY_LISTEN) ?? "127.0.0.1:17070",
    metricsListen: str(flags.metricsListen) ?? str(env.FERRY_METRICS_LISTEN),
    dataDir,
    store: parseStoreSpec(str(flags.store) ?? str(env.FERRY_STORE), dataDir),
    hostnames: list(flags.hostname ?? env.FERRY_HOSTNAMES),
    insecure: flags.insecure === true || env.FERRY_INSECURE === "1",
    logLevel,
    tokenTtlMs: num("token TTL", str(flags.tokenTtl) ?? str(env.FERRY_TOKEN_TTL), 24 * 3600) * 1000,
    migrationTokenTtlMs: num("migration token TTL", str(env.FERRY_MIGRATION_TOKEN_TTL), 6 * 3600) * 1000,
    portFile: str(flags.portFile) ?? str(env.FERRY_PORT_FILE),
    adminPasswordStdin: flags.adminPasswordStdin === true,
    provisionDelayMs: num("provision delay", str(flags.provisionDelay) ?? str(env.FERRY_PROVISION_DELAY_MS), 300),
    shutdownGraceMs: num("shutdown grace", str(env.FERRY_SHUTDOWN_GRACE_MS), 10_000),
    loginTestDelayMs: num("login test delay", str(env.FERRY_LOGIN_TEST_DELAY_MS), 0),
    leaseTtlMs: leaseTtl(str(flags.leaseTtl) ?? str(env.FERRY_LEASE_TTL)),
    agents: agentsMode(str(flags.agents) ?? str(env.FERRY_AGENTS)),
    agentTimeoutMs: seconds("agent timeout", str(flags.agentTimeout) ?? str(env.FERRY_AGENT_TIMEOUT), 10, 0.5, 3600),
    workloadIntervalMs: seconds(
      "workload interval",
      str(flags.workloadInterval) ?? str(env.FERRY_WORKLOAD_INTERVAL),
      1,
      0.05,
      3600,
    ),
    agentsPerProcess: Math.max(
      1,
      Math.floor(num("agents per process", str(flags.agentsPerProcess) ?? str(env.FERRY_AGENTS_PER_PROCESS), 25)),
    ),
  };
}
