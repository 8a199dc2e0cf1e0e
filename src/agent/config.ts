// A machine agent's config file: what the provisioner writes when the
// simulated cloud starts a machine (the controller's UUID and name, every API
// address, the CA certificate, the machine's tag and password), and what the
// agent itself rewrites afterwards (the units it deployed, with their
// passwords; the controller it follows after a migration). It holds
// passwords: mode 0600, replaced atomically so a crash never leaves half of
// one. Next to it, "<file>.pid" names the process hosting the agent.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { readIfExists, writeFileAtomic } from "../util/files.js";

export const AGENT_CONFIG_VERSION = 1;

export interface UnitCredentials {
  name: string;
  tag: string;
  password: string;
  /** Whether the unit's charm is installed (its install hook ran). */
  installed: boolean;
}

export interface AgentConfig {
  version: number;
  controllerUuid: string;
  controllerName: string;
  modelUuid: string;
  addresses: string[];
  caCert: string;
  machine: { id: string; tag: string; password: string };
  units: UnitCredentials[];
  /** How often each unit's workload reports, in ms. */
  workloadIntervalMs: number;
}

export const DEFAULT_WORKLOAD_INTERVAL_MS = 1000;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** Parses a config file's text; throws with the reason when it is not one. */
export function parseAgentConfig(text: string, path: string): AgentConfig {
  let v: Partial<AgentConfig>;
  try {
    v = JSON.parse(text) as Partial<AgentConfig>;
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`);
  }
  const bad = (what: string) => new Error(`${path}: ${what}`);
  if (v.version !== AGENT_CONFIG_VERSION) throw bad(`unsupported version ${String(v.version)}`);
  if (typeof v.modelUuid !== "string" || !v.modelUuid) throw bad("modelUuid missing");
  if (!isStringArray(v.addresses) || !v.addresses.length) throw bad("addresses missing");
  if (typeof v.caCert !== "string" || !v.caCert.includes("BEGIN CERTIFICATE")) throw bad("caCert missing");
  const m = v.machine;
  if (!m || typeof m.id !== "string" || typeof m.password !== "string" || m.tag !== `machine-${m.id}`)
    throw bad("machine credentials missing");
  const units = Array.isArray(v.units) ? v.units : [];
  for (const u of units) {
    if (typeof u?.name !== "string" || typeof u.password !== "string" || typeof u.tag !== "string")
      throw bad("unit credentials malformed");
  }
  return {
    version: AGENT_CONFIG_VERSION,
    controllerUuid: typeof v.controllerUuid === "string" ? v.controllerUuid : "",
    controllerName: typeof v.controllerName === "string" ? v.controllerName : "",
    modelUuid: v.modelUuid,
    addresses: v.addresses,
    caCert: v.caCert,
    machine: { id: m.id, tag: m.tag, password: m.password },
    units: units.map((u) => ({ name: u.name, tag: u.tag, password: u.password, installed: u.installed === true })),
    workloadIntervalMs:
      typeof v.workloadIntervalMs === "number" && v.workloadIntervalMs >= 10
        ? v.workloadIntervalMs
        : DEFAULT_WORKLOAD_INTERVAL_MS,
  };
}

export async function readAgentConfig(path: string): Promise<AgentConfig> {
  return parseAgentConfig(await readFile(path, "utf8"), path);
}

export async function writeAgentConfig(path: string, c: AgentConfig): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(c, null, 2) + "\n", 0o600);
}

export const pidFileOf = (configPath: string) => `${configPath}.pid`;

/** The pid recorded for the process hosting the agent of `configPath`, if any. */
export async function readAgentPid(configPath: string): Promise<number | undefined> {
  const text = await readIfExists(pidFileOf(configPath));
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid is alive (and not a zombie we could reap). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes an agent's files once its machine is gone. */
export async function removeAgentFiles(configPath: string): Promise<void> {
  await rm(configPath, { force: true });
  await rm(pidFileOf(configPath), { force: true });
}

/** Every machine agent config under a controller's data dir (<data-dir>/agents/<model-uuid>/machine-<id>.json). */
export async function findAgentConfigs(dataDir: string): Promise<{ modelUuid: string; path: string }[]> {
  const out: { modelUuid: string; path: string }[] = [];
  const root = join(dataDir, "agents");
  let models: string[] = [];
  try {
    models = await readdir(root);
  } catch {
    return out;
  }
  for (const m of models) {
    let files: string[] = [];
    try {
      files = await readdir(join(root, m));
    } catch {
      continue;
    }
    for (const f of files) if (/^machine-\d+\.json$/.test(f)) out.push({ modelUuid: m, path: join(root, m, f) });
  }
  return out;
}

/** SIGTERM, then SIGKILL for whatever is still there after `graceMs`. */
export async function stopProcesses(pids: number[], graceMs = 3000): Promise<void> {
  const alive = pids.filter(processAlive);
  for (const pid of alive) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + graceMs;
  while (alive.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of alive.filter(processAlive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}
