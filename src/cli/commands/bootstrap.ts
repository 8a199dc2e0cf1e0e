// bootstrap: start a controller daemon, wait until it is healthy, record it
// and log in as admin.
import { randomInt } from "node:crypto";
import { join, resolve } from "node:path";
import type { CliContext } from "../context.js";
import { writeLaunchRecord } from "../daemon.js";
import { CliError } from "../errors.js";
import { startProgress } from "../progress.js";
import { firstStdinLine, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";
import {
  abandonLaunch,
  ensureEmptyDir,
  launchController,
  parsePort,
  storeChoice,
  withLogTail,
  type LaunchHandle,
} from "./launch.js";
import { accountFrom, controllerRecordFrom, loginWith } from "./login.js";
import { refreshModelCache } from "./model-cache.js";

const ADMIN = "admin";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

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

export async function bootstrap(ctx: CliContext, opts: Opts, cloudRegion: string, name: string): Promise<void> {
  if (!NAME.test(name)) throw new CliError(`invalid controller name "${name}": use letters, digits, '.', '_' and '-'`);
  const [cloud, region, extra] = cloudRegion.split("/");
  if (!cloud || extra !== undefined || region === "")
    throw new CliError(`invalid cloud "${cloudRegion}": expected <cloud>[/<region>]`);
  if (await ctx.store.controller(name)) throw new CliError(`controller "${name}" already exists in the client store`);
  const port = parsePort(String(opts.apiPort ?? "17070"));
  const dataDir = resolve(opts.dataDir ?? join(ctx.store.home, "controllers", name));
  // The embedded store (in the data dir), or a PostgreSQL database more nodes can join (ferry enable-ha).
  const store = storeChoice(opts.store, dataDir);
  const storeUrl = store.url;
  await ensureEmptyDir(dataDir);
  const { password, generated } = await adminPassword();
  const portFile = join(dataDir, "api-port");

  // What every node of this controller shares (enable-ha starts more nodes with these).
  const shared = ["--name", name, "--cloud", cloud, "--cloud-type", String(opts.cloudType ?? "lxd")];
  if (region) shared.push("--region", region);
  if (opts.agentVersion) shared.push("--agent-version", String(opts.agentVersion));
  const agents = String(opts.agents ?? "process");
  if (agents !== "process" && agents !== "none")
    throw new CliError(`invalid --agents "${agents}": "process" or "none"`);
  shared.push("--agents", agents);
  if (opts.agentTimeout) shared.push("--agent-timeout", String(opts.agentTimeout));
  if (opts.workloadInterval) shared.push("--workload-interval", String(opts.workloadInterval));
  await writeLaunchRecord(dataDir, { args: shared, store: storeUrl });
  const args = [...shared, "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--port-file", portFile];
  args.push("--admin-password-stdin");

  const progress = startProgress(`Starting controller "${name}" on ${cloudRegion}`);
  const handle: LaunchHandle = {};
  let recorded = false;
  try {
    const launched = await launchController(
      {
        args,
        dataDir,
        portFile,
        stdinLine: password,
        progress,
        env: store.env,
        // A generated password is shown now, not at the end: if a later step
        // fails the controller is up and this is the only way into it. Only
        // on a terminal: piped output ends up in CI logs, and the password is
        // kept in the accounts file anyway (`ferry show-controller --show-password`).
        onSpawned: () => generated && ctx.stdoutIsTTY && ctx.out(`Admin password: ${password}`),
      },
      handle,
    );
    progress.step("Logging in as admin");
    const res = await loginWith(launched.clients, ADMIN, password);
    await ctx.store.putController(name, {
      ...controllerRecordFrom(launched.info, launched.caPem, launched.fingerprint, launched.address),
      dataDir,
      pidFile: portFile,
      pid: launched.pid,
      store: store.display,
    });
    recorded = true;
    // Kept, as the reference keeps it, so an expired session renews itself.
    await ctx.store.putAccount(name, { ...accountFrom(res, ADMIN), password });
    await ctx.store.setCurrentController(name);
    try {
      await refreshModelCache(ctx, await ctx.session(name));
    } catch {
      // Only a cache; `ferry models` fills it later.
    }
    progress.done(`Controller "${name}" is healthy`);
    ctx.out(`Bootstrap complete, controller "${name}" is now available at ${launched.address}.`);
    ctx.out(`Logged in as ${ADMIN}. Add a model with 'ferry add-model <name>'.`);
    if (generated) {
      ctx.out(
        `The admin password is kept in ${join(ctx.store.home, "accounts.yaml")} (mode 0600); ` +
          `'ferry show-controller ${name} --show-password' shows it.`,
      );
    }
    if (storeUrl) ctx.out(`Its store is PostgreSQL: add nodes with 'ferry enable-ha -c ${name}'.`);
  } catch (err) {
    progress.fail(`Bootstrap of controller "${name}" failed`);
    // A half-bootstrapped controller is of no use and would block a retry:
    // stop it and remove its data (the error carries the log's tail).
    const tail = await abandonLaunch(handle, portFile, dataDir);
    if (recorded) await ctx.store.removeController(name);
    throw withLogTail(err, tail, (t) => ctx.info(t));
  } finally {
    handle.clients?.close();
  }
}
