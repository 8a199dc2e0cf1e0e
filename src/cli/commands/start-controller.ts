// start-controller: start again the ferryd processes of a controller this
// client bootstrapped whose process stopped or crashed, from what bootstrap
// (and enable-ha) recorded: the same data dir, the same address and port (so
// every client and agent that knows it finds it again) and the same flags.
// The controller resumes where it was (its phase machines, simulator and
// agents' work are all in its store).
import { join } from "node:path";
import type { LocalNode } from "../../client/store/store.js";
import type { CliContext } from "../context.js";
import { isFerryd, processAlive, readLaunchRecord, readPortFile, terminate } from "../daemon.js";
import { CliError } from "../errors.js";
import { startProgress } from "../progress.js";
import type { Opts } from "../run.js";
import { launchController, type LaunchHandle } from "./launch.js";

async function running(node: LocalNode): Promise<number | undefined> {
  const pf = await readPortFile(node.pidFile);
  for (const pid of new Set([pf?.pid, node.pid])) {
    if (pid && (await processAlive(pid)) && (await isFerryd(pid))) return pid;
  }
  return undefined;
}

export async function startController(ctx: CliContext, opts: Opts, nameArg?: string): Promise<void> {
  const name = nameArg ?? (await ctx.controllerName(opts.controller));
  const rec = await ctx.controllerRecord(name);
  if (!rec.dataDir || !rec.pidFile) {
    throw new CliError(
      `controller "${name}" was not bootstrapped by this client, so it cannot be started from here`,
      "Start its ferryd where it runs.",
    );
  }
  const launch = await readLaunchRecord(rec.dataDir);
  if (!launch) {
    throw new CliError(
      `controller "${name}" has no launch record in ${rec.dataDir} (launch.json): it was bootstrapped by an older client`,
    );
  }
  const nodes: LocalNode[] = [{ dataDir: rec.dataDir, pidFile: rec.pidFile, pid: rec.pid }, ...(rec.nodes ?? [])];
  const started: LocalNode[] = [];
  let already = 0;
  for (const [i, node] of nodes.entries()) {
    const pid = await running(node);
    if (pid) {
      ctx.info(`Node ${i} of controller "${name}" is already running (pid ${pid}).`);
      already++;
      started.push({ ...node, pid });
      continue;
    }
    const address = node.address ?? (await readPortFile(node.pidFile))?.address ?? rec.apiEndpoints[i];
    const port = address?.split(":").pop();
    if (!port) throw new CliError(`cannot tell which port node ${i} of controller "${name}" listened on`);
    const portFile = node.pidFile || join(node.dataDir, "api-port");
    const args = [...launch.args, "--listen", `127.0.0.1:${port}`, "--data-dir", node.dataDir, "--port-file", portFile];
    const progress = startProgress(`Starting controller "${name}"${nodes.length > 1 ? ` (node ${i})` : ""}`);
    const handle: LaunchHandle = {};
    try {
      const launched = await launchController(
        { args, dataDir: node.dataDir, portFile, progress, env: launch.store ? { FERRY_STORE: launch.store } : {} },
        handle,
      );
      if (launched.info.uuid !== rec.uuid) {
        throw new CliError(
          `the process started from ${node.dataDir} reports controller ${launched.info.uuid}, not ${rec.uuid}`,
        );
      }
      progress.done(`Controller "${name}" is healthy at ${launched.address}`);
      started.push({ ...node, pid: launched.pid, address: launched.address });
    } catch (err) {
      progress.fail(`Controller "${name}" did not start`);
      // Unlike a failed bootstrap, the data dir is the controller: keep it.
      if (handle.pid) await terminate(handle.pid, 5_000);
      const { tailFile } = await import("../daemon.js");
      const tail = await tailFile(join(node.dataDir, "ferryd.log"));
      if (tail) ctx.info(`Last lines of ${join(node.dataDir, "ferryd.log")}:\n${tail}`);
      throw err;
    } finally {
      handle.clients?.close();
    }
  }
  const [first, ...more] = started;
  await ctx.store.putController(name, { ...rec, pid: first?.pid, ...(rec.nodes ? { nodes: more } : {}) });
  if (already === nodes.length) ctx.out(`Controller "${name}" is already running; nothing to do.`);
  else ctx.out(`Controller "${name}" is running again.`);
}
