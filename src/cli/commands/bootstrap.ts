// bootstrap: start a controller daemon, wait until it is healthy, record it
// and log in as admin.
import { randomInt } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { connect, type FerryClients } from "../../client/connect.js";
import { fingerprintPem } from "../../client/fingerprint.js";
import { isServing } from "../../client/health.js";
import type { CliContext } from "../context.js";
import { readPortFile, sleep, spawnFerryd, tailFile, terminate, type PortFile, type SpawnedDaemon } from "../daemon.js";
import { CliError } from "../errors.js";
import { startProgress } from "../progress.js";
import { firstStdinLine, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";
import { accountFrom, controllerRecordFrom, loginWith } from "./login.js";
import { refreshModelCache } from "./model-cache.js";

const ADMIN = "admin";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

function bootstrapTimeoutMs(): number {
  const s = Number(process.env.FERRY_BOOTSTRAP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

export function generatePassword(length = 24): string {
  let out = "";
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

/** FERRY_ADMIN_PASSWORD, else stdin's first line (when piped and not empty), else generated. */
async function adminPassword(): Promise<{ password: string; generated: boolean }> {
  const env = process.env.FERRY_ADMIN_PASSWORD;
  if (env) return { password: env, generated: false };
  if (!stdinIsTTY()) {
    const line = await firstStdinLine();
    if (line) return { password: line, generated: false };
  }
  return { password: generatePassword(), generated: true };
}

async function daemonFailed(d: SpawnedDaemon, what: string): Promise<never> {
  const how = d.exit?.signal ? `was killed by ${d.exit.signal}` : `exited with status ${d.exit?.code ?? "unknown"}`;
  throw new CliError(`controller daemon ${how} ${what}`);
}

async function readTail(logPath: string): Promise<string> {
  const tail = await tailFile(logPath);
  return tail ? `Last lines of ferryd.log:\n${tail}` : "";
}

/** Stop a half-started daemon and remove its data; returns the log's last lines, read first. */
async function cleanUp(pid: number | undefined, portFile: string, dataDir: string): Promise<string> {
  const tail = await readTail(join(dataDir, "ferryd.log"));
  const recorded = (await readPortFile(portFile))?.pid;
  for (const p of new Set([pid, recorded])) if (p !== undefined) await terminate(p, 5_000);
  await rm(dataDir, { recursive: true, force: true });
  return tail;
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

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid --api-port "${value}"`);
  return port;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries && entries.length) {
    throw new CliError(`data directory ${dir} is not empty`, "Choose another with --data-dir, or remove it first.");
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function bootstrap(ctx: CliContext, opts: Opts, cloudRegion: string, name: string): Promise<void> {
  if (!NAME.test(name)) throw new CliError(`invalid controller name "${name}": use letters, digits, '.', '_' and '-'`);
  const [cloud, region, extra] = cloudRegion.split("/");
  if (!cloud || extra !== undefined || region === "")
    throw new CliError(`invalid cloud "${cloudRegion}": expected <cloud>[/<region>]`);
  if (await ctx.store.controller(name)) throw new CliError(`controller "${name}" already exists in the client store`);
  const port = parsePort(String(opts.apiPort ?? "17070"));
  const dataDir = resolve(opts.dataDir ?? join(ctx.store.home, "controllers", name));
  await ensureEmptyDir(dataDir);
  const { password, generated } = await adminPassword();
  const portFile = join(dataDir, "api-port");

  const args = ["--name", name, "--cloud", cloud, "--cloud-type", String(opts.cloudType ?? "lxd")];
  if (region) args.push("--region", region);
  if (opts.agentVersion) args.push("--agent-version", String(opts.agentVersion));
  args.push("--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--port-file", portFile, "--admin-password-stdin");

  const progress = startProgress(`Starting controller "${name}" on ${cloudRegion}`);
  let clients: FerryClients | undefined;
  let daemonPid: number | undefined;
  let recorded = false;
  try {
    const daemon = await spawnFerryd(args, dataDir, password);
    daemonPid = daemon.child.pid;
    // Shown now, not at the end: if a later step fails the controller is up
    // and this is the only way into it.
    if (generated) ctx.out(`Admin password: ${password} (shown once)`);
    const deadline = Date.now() + bootstrapTimeoutMs();

    progress.step("Waiting for the controller's API address");
    const pf: PortFile = await waitFor(daemon, deadline, "waiting for the controller's API address", () =>
      readPortFile(portFile),
    );
    const caPem = await readFile(join(dataDir, "ca.pem"), "utf8").catch(() => {
      throw new CliError(`controller started but wrote no CA certificate to ${join(dataDir, "ca.pem")}`);
    });

    progress.step(`Waiting for the controller at ${pf.address} to become healthy`);
    clients = connect({ address: pf.address, caPem });
    const c = clients;
    await waitFor(daemon, deadline, "waiting for the controller to become healthy", async () =>
      (await isServing(c)) ? true : undefined,
    );

    progress.step("Logging in as admin");
    const info = (await c.controller.getControllerInfo({})).controller;
    if (!info) throw new CliError("the controller returned no controller info");
    const fingerprint = fingerprintPem(caPem);
    if (info.caCert && fingerprintPem(info.caCert) !== fingerprint) {
      throw new CliError(`the controller reports a CA other than the one in ${dataDir}/ca.pem`);
    }
    const res = await loginWith(c, ADMIN, password);
    await ctx.store.putController(name, {
      ...controllerRecordFrom(info, caPem, fingerprint, pf.address),
      dataDir,
      pidFile: portFile,
      pid: pf.pid,
    });
    recorded = true;
    await ctx.store.putAccount(name, accountFrom(res, ADMIN));
    await ctx.store.setCurrentController(name);
    try {
      await refreshModelCache(ctx, await ctx.session(name));
    } catch {
      // Only a cache; `ferry models` fills it later.
    }
    progress.done(`Controller "${name}" is healthy`);
    ctx.out(`Bootstrap complete, controller "${name}" is now available at ${pf.address}.`);
    ctx.out(`Logged in as ${ADMIN}. Add a model with 'ferry add-model <name>'.`);
  } catch (err) {
    progress.fail(`Bootstrap of controller "${name}" failed`);
    clients?.close();
    clients = undefined;
    // A half-bootstrapped controller is of no use and would block a retry:
    // stop it and remove its data (the error carries the log's tail).
    const tail = await cleanUp(daemonPid, portFile, dataDir);
    if (recorded) await ctx.store.removeController(name);
    if (tail && err instanceof CliError) throw new CliError(err.message, [err.hint, tail].filter(Boolean).join("\n"));
    if (tail) ctx.info(tail);
    throw err;
  } finally {
    clients?.close();
  }
}
