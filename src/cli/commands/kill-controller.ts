// kill-controller: stop a controller this client bootstrapped (every node it
// started), delete their data dirs, forget it.
import { readdir, rm } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import {
  findAgentConfigs,
  processAlive as agentProcessAlive,
  readAgentConfig,
  readAgentPid,
  stopProcesses,
} from "../../agent/config.js";
import type { CliContext } from "../context.js";
import { isFerryd, processAlive, readPortFile, terminate } from "../daemon.js";
import { CliError } from "../errors.js";
import { confirm, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";

// Files ferryd leaves in its data dir; a directory with none of them is not
// one we will `rm -rf`.
const DATA_DIR_MARKERS = ["api-port", "ca.pem", "ferryd.log"];

async function stop(ctx: CliContext, pid: number, timeoutMs: number): Promise<void> {
  if (!(await processAlive(pid))) return;
  if (!(await isFerryd(pid))) {
    ctx.info(`Process ${pid} is no longer ferryd (pid reused); not signalling it.`);
    return;
  }
  // ferryd shuts down gracefully on SIGTERM (in-flight calls finish, the
  // store is closed); SIGKILL only if that takes longer than --timeout.
  if (!(await terminate(pid, timeoutMs))) throw new CliError(`controller process ${pid} did not exit after SIGKILL`);
}

/**
 * The agent processes of controller `uuid` under the data dirs of every
 * controller this client bootstrapped, and the agent dirs in them that
 * belong to agents following another controller now (kept when a data dir
 * is deleted: those agents live on with their model).
 */
async function agentsOf(ctx: CliContext, uuid: string): Promise<{ pids: number[]; foreignDirs: Set<string> }> {
  const pids = new Set<number>();
  const foreignDirs = new Set<string>();
  const { controllers } = await ctx.store.controllers();
  const dirs = new Set<string>();
  for (const c of Object.values(controllers)) {
    if (c.dataDir) dirs.add(c.dataDir);
    for (const n of c.nodes ?? []) dirs.add(n.dataDir);
  }
  // Data dirs of controllers killed before (forgotten by the client store)
  // may still hold agents that followed their model here.
  const defaults = join(ctx.store.home, "controllers");
  for (const e of await readdir(defaults).catch(() => [] as string[])) dirs.add(join(defaults, e));
  // A process hosts one model's machines; it is this controller's only when
  // every machine it hosts follows this controller (one that follows another
  // is that controller's, switching or not).
  const foreignPids = new Set<number>();
  for (const dir of dirs) {
    for (const { path } of await findAgentConfigs(dir)) {
      const config = await readAgentConfig(path).catch(() => undefined);
      const pid = await readAgentPid(path);
      if (!config) continue;
      if (config.controllerUuid === uuid) {
        if (pid) pids.add(pid);
      } else if (pid && agentProcessAlive(pid)) {
        foreignDirs.add(dirname(path));
        foreignPids.add(pid);
      }
    }
  }
  return { pids: [...pids].filter((p) => !foreignPids.has(p)), foreignDirs };
}

/** Deletes a data dir, except the agent dirs in `keep`. */
async function removeDataDir(dataDir: string, keep: Set<string>): Promise<void> {
  const kept = [...keep].filter((d) => d.startsWith(dataDir + sep));
  if (!kept.length) {
    await rm(dataDir, { recursive: true, force: true });
    return;
  }
  for (const e of await readdir(dataDir).catch(() => [] as string[])) {
    if (e !== "agents") await rm(join(dataDir, e), { recursive: true, force: true });
  }
  for (const m of await readdir(join(dataDir, "agents")).catch(() => [] as string[])) {
    const d = join(dataDir, "agents", m);
    if (!kept.includes(d)) await rm(d, { recursive: true, force: true });
  }
}

export async function killController(ctx: CliContext, opts: Opts, name: string): Promise<void> {
  const rec = await ctx.controllerRecord(name);
  if (!rec.dataDir) {
    throw new CliError(
      `controller "${name}" was not bootstrapped by this client, so it cannot be killed from here`,
      "Stop it where it runs.",
    );
  }
  if (!opts.yes) {
    if (!stdinIsTTY()) throw new CliError("killing a controller needs confirmation", "Rerun with -y to confirm.");
    if (!(await confirm(`Stop controller "${name}" and delete all its data in ${rec.dataDir}?`))) {
      throw new CliError("controller not killed");
    }
  }
  const timeoutS = Number(opts.timeout ?? 15);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError(`invalid --timeout "${opts.timeout}"`);
  // Every node this client started: the bootstrapped one and those of enable-ha.
  const nodes = [{ dataDir: rec.dataDir, pidFile: rec.pidFile, pid: rec.pid }, ...(rec.nodes ?? [])];
  for (const n of nodes) {
    const entries = await readdir(n.dataDir).catch(() => undefined);
    if (entries && entries.length && !entries.some((e) => DATA_DIR_MARKERS.includes(e))) {
      throw new CliError(`${n.dataDir} does not look like a controller data directory; not deleting it`);
    }
  }
  // All at once: nodes stopping one by one would hand their work to each other.
  await Promise.all(
    nodes.map(async (n) => {
      const fromFile = n.pidFile ? (await readPortFile(n.pidFile))?.pid : undefined;
      for (const pid of new Set([fromFile, n.pid].filter((p): p is number => typeof p === "number"))) {
        await stop(ctx, pid, timeoutS * 1000);
      }
    }),
  );
  // Its machines go with it: every agent that follows this controller now,
  // wherever this client's controllers provisioned it (a model that migrated
  // here brought agents that another controller started).
  const agents = await agentsOf(ctx, rec.uuid);
  await stopProcesses(agents.pids);
  for (const n of nodes) await removeDataDir(n.dataDir, agents.foreignDirs);
  await ctx.store.removeController(name);
  if (agents.pids.length)
    ctx.info(`Stopped ${agents.pids.length} agent process${agents.pids.length === 1 ? "" : "es"}.`);
  ctx.out(`Controller "${name}" destroyed${nodes.length > 1 ? ` (${nodes.length} nodes stopped)` : ""}.`);
  if (rec.store && rec.store !== "sqlite") {
    ctx.info(`Its data in PostgreSQL (${rec.store}) was left in place; drop that database to remove it.`);
  }
}
