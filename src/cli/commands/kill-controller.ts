// kill-controller: stop a controller this client bootstrapped (every node it
// started), delete their data dirs, forget it.
import { readdir, rm } from "node:fs/promises";
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
  for (const n of nodes) await rm(n.dataDir, { recursive: true, force: true });
  await ctx.store.removeController(name);
  ctx.out(`Controller "${name}" destroyed${nodes.length > 1 ? ` (${nodes.length} nodes stopped)` : ""}.`);
  if (rec.store && rec.store !== "sqlite") {
    ctx.info(`Its data in PostgreSQL (${rec.store}) was left in place; drop that database to remove it.`);
  }
}
