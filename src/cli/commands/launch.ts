// Starting a ferryd in the background and waiting until it serves: shared by
// bootstrap (a new controller) and restore-backup (a controller from a
// backup), which differ only in ferryd's flags and what they do afterwards.
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Controller } from "../../../gen/ts/ferry/v1/controller_pb.js";
import { connect, type FerryClients } from "../../client/connect.js";
import { fingerprintPem } from "../../client/fingerprint.js";
import { isServing } from "../../client/health.js";
import { readPortFile, sleep, spawnFerryd, tailFile, terminate, type PortFile, type SpawnedDaemon } from "../daemon.js";
import { describeStore, parseStoreSpec } from "../../config.js";
import { CliError } from "../errors.js";
import type { Progress } from "../progress.js";

function launchTimeoutMs(): number {
  const s = Number(process.env.FERRY_BOOTSTRAP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid --api-port "${value}"`);
  return port;
}

export async function ensureEmptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries && entries.length) {
    throw new CliError(`data directory ${dir} is not empty`, "Choose another with --data-dir, or remove it first.");
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

async function daemonFailed(d: SpawnedDaemon, what: string): Promise<never> {
  const how = d.exit?.signal ? `was killed by ${d.exit.signal}` : `exited with status ${d.exit?.code ?? "unknown"}`;
  throw new CliError(`controller daemon ${how} ${what}`);
}

async function waitFor<T>(
  d: SpawnedDaemon,
  deadline: number,
  what: string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (d.exit) await daemonFailed(d, `while ${what}`);
    if (Date.now() > deadline) throw new CliError(`timed out ${what}`);
    await sleep(100);
  }
}

/** The store a command starts ferryd on. */
export interface StoreChoice {
  /** The PostgreSQL URL (password included); undefined for the embedded store. */
  url?: string;
  /** For the client store and messages: "sqlite", or the URL without its password. */
  display: string;
  /**
   * The daemon's FERRY_STORE, always set: the URL through the environment (a
   * password must not show in `ps`), and "sqlite" so that a FERRY_STORE in the
   * caller's shell never moves an embedded controller onto a shared database.
   */
  env: { FERRY_STORE: string };
}

/** --store, else FERRY_STORE, else the embedded store in `dataDir`. */
export function storeChoice(value: unknown, dataDir: string): StoreChoice {
  const given = value !== undefined ? String(value) : process.env.FERRY_STORE || undefined;
  let spec;
  try {
    spec = parseStoreSpec(given, dataDir);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return spec.engine === "postgres"
    ? { url: spec.url, display: describeStore(spec), env: { FERRY_STORE: spec.url } }
    : { display: "sqlite", env: { FERRY_STORE: "sqlite" } };
}

export interface LaunchOptions {
  /** ferryd's flags; must include --data-dir and --port-file pointing at these. */
  args: string[];
  dataDir: string;
  portFile: string;
  /** First line for ferryd's stdin (the admin password of a new controller). */
  stdinLine?: string;
  progress: Progress;
  /** Called once the process exists (bootstrap shows a generated password then). */
  onSpawned?: () => void;
  /** Extra environment for ferryd (FERRY_STORE). */
  env?: Record<string, string>;
}

/** What a launch has started so far, for cleaning up after a failure. */
export interface LaunchHandle {
  pid?: number;
  clients?: FerryClients;
}

export interface Launched {
  address: string;
  pid: number;
  caPem: string;
  fingerprint: string;
  info: Controller;
  clients: FerryClients;
}

/**
 * Spawns ferryd, waits for its port file, its CA and health, and reads its
 * identity over a connection pinned to the CA it wrote to its data dir.
 */
export async function launchController(opts: LaunchOptions, handle: LaunchHandle): Promise<Launched> {
  const daemon = await spawnFerryd(opts.args, opts.dataDir, opts.stdinLine, opts.env);
  handle.pid = daemon.child.pid;
  opts.onSpawned?.();
  const deadline = Date.now() + launchTimeoutMs();

  opts.progress.step("Waiting for the controller's API address");
  const pf: PortFile = await waitFor(daemon, deadline, "waiting for the controller's API address", () =>
    readPortFile(opts.portFile),
  );
  const caPem = await readFile(join(opts.dataDir, "ca.pem"), "utf8").catch(() => {
    throw new CliError(`controller started but wrote no CA certificate to ${join(opts.dataDir, "ca.pem")}`);
  });

  opts.progress.step(`Waiting for the controller at ${pf.address} to become healthy`);
  const clients = connect({ address: pf.address, caPem });
  handle.clients = clients;
  await waitFor(daemon, deadline, "waiting for the controller to become healthy", async () =>
    (await isServing(clients)) ? true : undefined,
  );
  const info = (await clients.controller.getControllerInfo({})).controller;
  if (!info) throw new CliError("the controller returned no controller info");
  const fingerprint = fingerprintPem(caPem);
  if (info.caCert && fingerprintPem(info.caCert) !== fingerprint) {
    throw new CliError(`the controller reports a CA other than the one in ${opts.dataDir}/ca.pem`);
  }
  return { address: pf.address, pid: pf.pid, caPem, fingerprint, info, clients };
}

/**
 * Stops a half-started daemon and removes its data dir; returns the last
 * lines of its log, read first, for the error message.
 */
export async function abandonLaunch(handle: LaunchHandle, portFile: string, dataDir: string): Promise<string> {
  handle.clients?.close();
  handle.clients = undefined;
  const tail = await tailFile(join(dataDir, "ferryd.log"));
  const recorded = (await readPortFile(portFile))?.pid;
  for (const p of new Set([handle.pid, recorded])) if (p !== undefined) await terminate(p, 5_000);
  await rm(dataDir, { recursive: true, force: true });
  return tail ? `Last lines of ferryd.log:\n${tail}` : "";
}

/** Rethrows `err` with the log tail attached as a hint (CliErrors) or printed (others). */
export function withLogTail(err: unknown, tail: string, info: (s: string) => void): unknown {
  if (tail && err instanceof CliError) return new CliError(err.message, [err.hint, tail].filter(Boolean).join("\n"));
  if (tail) info(tail);
  return err;
}
