// enable-ha (start more local nodes of a controller on its shared store) and
// show-controller (the controller, its nodes, their addresses and health).
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Controller } from "../../../gen/ts/ferry/v1/controller_pb.js";
import { ControllerAccess } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { isServingAt } from "../../client/health.js";
import type { ControllerRecord, LocalNode } from "../../client/store/store.js";
import type { CliContext } from "../context.js";
import { readLaunchRecord, readPortFile } from "../daemon.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { relativeTime } from "../output/time.js";
import { startProgress } from "../progress.js";
import type { Opts } from "../run.js";
import { abandonLaunch, ensureEmptyDir, launchController, withLogTail, type LaunchHandle } from "./launch.js";

/** Whether `address` answers a health check with SERVING, over TLS pinned to the CA. */
async function healthOf(address: string, caPem: string): Promise<"up" | "down"> {
  return (await isServingAt(address, caPem, 1500)) ? "up" : "down";
}

/** Every node data dir this client started for the controller: the bootstrapped one first. */
function localNodes(rec: ControllerRecord): LocalNode[] {
  const first = rec.dataDir && rec.pidFile ? [{ dataDir: rec.dataDir, pidFile: rec.pidFile, pid: rec.pid }] : [];
  return [...first, ...(rec.nodes ?? [])];
}

export async function enableHa(ctx: CliContext, opts: Opts): Promise<void> {
  const name = await ctx.controllerName(opts.controller);
  const rec = await ctx.controllerRecord(name);
  const wanted = Number(opts.number ?? 3);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 9) throw new CliError(`invalid -n "${opts.number}": 1 to 9`);
  if (!rec.dataDir) {
    throw new CliError(
      `controller "${name}" was not bootstrapped by this client, so its nodes cannot be started from here`,
      "Start more ferryd processes with the same --store where it runs.",
    );
  }
  const launch = await readLaunchRecord(rec.dataDir);
  if (!launch?.store) {
    throw new CliError(
      `controller "${name}" runs on its embedded store: only a controller on PostgreSQL can have several nodes`,
      "Bootstrap it with 'ferry bootstrap <cloud> <name> --store postgres://user@host:port/db'.",
    );
  }
  const have = localNodes(rec);
  if (have.length >= wanted) {
    ctx.out(`Controller "${name}" already has ${have.length} node(s) started by this client; nothing to do.`);
    return;
  }
  const nodes = [...(rec.nodes ?? [])];
  const addresses = [...rec.apiEndpoints];
  for (let i = have.length; i < wanted; i++) {
    const dataDir = `${rec.dataDir}-node-${i}`;
    await ensureEmptyDir(dataDir);
    const portFile = join(dataDir, "api-port");
    const args = [...launch.args, "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--port-file", portFile];
    const progress = startProgress(`Starting node ${i + 1} of controller "${name}"`);
    const handle: LaunchHandle = {};
    try {
      const launched = await launchController(
        { args, dataDir, portFile, progress, env: { FERRY_STORE: launch.store } },
        handle,
      );
      // The same controller, or something is very wrong with the store given.
      if (launched.info.uuid !== rec.uuid) {
        throw new CliError(`the new node reports controller ${launched.info.uuid}, not ${rec.uuid}`);
      }
      nodes.push({ dataDir, pidFile: portFile, pid: launched.pid, address: launched.address });
      if (!addresses.includes(launched.address)) addresses.push(launched.address);
      await ctx.store.putController(name, { ...rec, nodes, apiEndpoints: addresses });
      progress.done(`Node ${i + 1} of controller "${name}" is healthy at ${launched.address}`);
    } catch (err) {
      progress.fail(`Node ${i + 1} of controller "${name}" did not start`);
      const tail = await abandonLaunch(handle, portFile, dataDir);
      throw withLogTail(err, tail, (t) => ctx.info(t));
    } finally {
      handle.clients?.close();
    }
  }
  await untilListed(ctx, name, addresses);
  ctx.out(`Controller "${name}" now has ${wanted} nodes: ${addresses.join(", ")}`);
}

/**
 * Waits (a few seconds at most) until the controller itself lists every one
 * of `addresses` as a live node, so that show-controller and a login through
 * any node right after enable-ha see them all.
 */
async function untilListed(ctx: CliContext, name: string, addresses: string[]): Promise<void> {
  const { clients } = await ctx.session(name);
  const deadline = Date.now() + 5000;
  for (;;) {
    const info = await clients.controller.getControllerInfo({}).catch(() => undefined);
    const live = new Set(info?.controller?.nodes.filter((n) => n.live).flatMap((n) => n.apiAddresses));
    if (addresses.every((a) => live.has(a))) return;
    if (Date.now() >= deadline) {
      ctx.info(`The controller does not list every node yet; 'ferry show-controller ${name}' shows them as they join.`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface NodeDoc {
  id: string;
  addresses: string[];
  health: string;
  version: string;
  started: string;
  "last-heartbeat": string;
  answering?: boolean;
  "data-dir"?: string;
  pid?: number;
}

async function nodesOf(ctx: CliContext, rec: ControllerRecord, info: Controller | undefined): Promise<NodeDoc[]> {
  const local = localNodes(rec);
  const byAddress = new Map<string, LocalNode>();
  for (const n of local) {
    const address = n.address ?? (await readPortFile(n.pidFile))?.address;
    if (address) byAddress.set(address, n);
  }
  const known = info?.nodes ?? [];
  const docs = await Promise.all(
    known.map(async (n) => {
      const mine = n.apiAddresses.map((a) => byAddress.get(a)).find(Boolean);
      const health = n.live ? await healthOf(n.apiAddresses[0] ?? "", rec.caCert) : "down";
      const doc: NodeDoc = {
        id: n.id,
        addresses: n.apiAddresses,
        health: n.live && health === "down" ? "unreachable" : health,
        version: n.version,
        started: n.startTime ? relativeTime(new Date(timestampMs(n.startTime))) : "",
        "last-heartbeat": n.heartbeatTime ? relativeTime(new Date(timestampMs(n.heartbeatTime))) : "",
        ...(n.answering ? { answering: true } : {}),
        ...(mine ? { "data-dir": mine.dataDir, ...(mine.pid ? { pid: mine.pid } : {}) } : {}),
      };
      return doc;
    }),
  );
  // Addresses the client knows that no node reported (a node that is gone, or an older controller).
  const unreported = rec.apiEndpoints.filter((a) => !docs.some((d) => d.addresses.includes(a)));
  const others = await Promise.all(
    unreported.map(async (a): Promise<NodeDoc> => ({
      id: "",
      addresses: [a],
      health: await healthOf(a, rec.caCert),
      version: "",
      started: "",
      "last-heartbeat": "",
    })),
  );
  return [...docs, ...others];
}

/** "3d4h", "2h13m", "5m2s", "40s". */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/** The models the logged-in user can see (all of them for a superuser); undefined when not logged in. */
async function modelCount(ctx: CliContext, name: string): Promise<number | undefined> {
  const account = await ctx.store.account(name).catch(() => undefined);
  if (!account?.token) return undefined;
  try {
    const session = await ctx.session(name);
    const who = await session.clients.controller.whoAmI({}, { timeoutMs: 10_000 });
    const all = who.user?.access === ControllerAccess.SUPERUSER;
    let n = 0;
    let pageToken = "";
    do {
      const page = await session.clients.model.listModels({ pageSize: 1000, pageToken, all }, { timeoutMs: 10_000 });
      n += page.models.length;
      pageToken = page.nextPageToken;
    } while (pageToken);
    return n;
  } catch {
    return undefined; // an expired session: the rest of the answer still stands
  }
}

/** The answering node's own load, for superusers (absent when it cannot be had). */
async function nodeLoad(ctx: CliContext, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    const session = await ctx.session(name);
    const node = (await session.clients.controller.getControllerLoad({}, { timeoutMs: 10_000 })).node;
    if (!node) return undefined;
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      node: node.nodeId,
      "calls-per-second": {
        "1m": r(node.calls?.oneMinute ?? 0),
        "5m": r(node.calls?.fiveMinutes ?? 0),
        "15m": r(node.calls?.fifteenMinutes ?? 0),
      },
      "event-loop-lag-p99-ms": r(node.eventLoopLagP99Seconds * 1000),
      "rss-mib": r(Number(node.rssBytes) / 1048576),
      "cpu-percent": r(node.cpuPercent),
      models: node.models,
      agents: node.agentsConnected,
    };
  } catch {
    return undefined;
  }
}

export async function showController(ctx: CliContext, opts: Opts, nameArg?: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const name = nameArg ?? (await ctx.controllerName(opts.controller));
  const rec = await ctx.controllerRecord(name);
  let info: Controller | undefined;
  let error: string | undefined;
  try {
    const session = await ctx.anonymous(name);
    info = (await session.clients.controller.getControllerInfo({}, { timeoutMs: 10_000 })).controller;
    if (info && info.uuid === rec.uuid) await ctx.refreshAddresses(name, session.clients);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const nodes = await nodesOf(ctx, (await ctx.store.controller(name)) ?? rec, info);
  const answering = info?.nodes.find((n) => n.answering) ?? info?.nodes[0];
  const upSeconds = answering?.startTime
    ? Math.max(0, Math.round((Date.now() - timestampMs(answering.startTime)) / 1000))
    : undefined;
  const models = info ? await modelCount(ctx, name) : undefined;
  const kept = await ctx.store.account(name);
  const load = info && kept?.access === "superuser" ? await nodeLoad(ctx, name) : undefined;
  const account = kept
    ? {
        user: kept.user,
        ...(kept.access ? { access: kept.access } : {}),
        ...(opts.showPassword && kept.password ? { password: kept.password } : {}),
      }
    : undefined;
  if (opts.showPassword && !kept?.password) {
    ctx.info(`No password is kept for controller "${name}": only bootstrap keeps one.`);
  }
  const doc = {
    [name]: {
      uuid: rec.uuid,
      "controller-name": info?.name ?? name,
      version: info?.version ?? rec.agentVersion ?? "",
      cloud: info?.cloud ?? rec.cloud ?? "",
      "cloud-type": info?.cloudType ?? rec.cloudType ?? "",
      region: info?.region ?? rec.region ?? "",
      store: info?.storeEngine ? (rec.store && rec.store !== "sqlite" ? rec.store : info.storeEngine) : rec.store,
      "api-endpoints": (await ctx.store.controller(name))?.apiEndpoints ?? rec.apiEndpoints,
      "ca-fingerprint": rec.caFingerprint,
      ...(models !== undefined ? { models } : {}),
      ...(upSeconds !== undefined ? { uptime: formatUptime(upSeconds), "uptime-seconds": upSeconds } : {}),
      nodes,
      ...(load ? { load } : {}),
      ...(account ? { account } : {}),
      ...(rec.dataDir ? { "data-dir": rec.dataDir } : {}),
      ...(error ? { error: `cannot reach the controller: ${error}` } : {}),
      "ca-cert": rec.caCert,
    },
  };
  ctx.out(structured(doc, format));
}
