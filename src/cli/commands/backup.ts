// create-backup (download a consistent archive of a running controller) and
// restore-backup (start a controller from one, record it and log in).
import { canRedraw } from "../color.js";
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BackupDownloadError, downloadBackup } from "../../client/backup.js";
import { normaliseFingerprint } from "../../client/fingerprint.js";
import { backupEngine, BackupError, verifyBackup, type BackupManifest } from "../../util/backup-archive.js";
import type { CliContext } from "../context.js";
import { isFerryd, processAlive, writeLaunchRecord } from "../daemon.js";
import { CliError } from "../errors.js";
import { humanBytes } from "../output/units.js";
import { startProgress } from "../progress.js";
import { readPassword } from "../prompt.js";
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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function createBackup(ctx: CliContext, opts: Opts): Promise<void> {
  const controller = await ctx.controllerName(opts.controller);
  const file = String(opts.output ?? `ferry-backup-${controller}-${timestamp(new Date())}.tar`);
  const path = resolve(file);
  if (await exists(path)) throw new CliError(`${file} already exists`, "Choose another file with -o <file>.");
  const session = await ctx.session(controller);
  // Per chunk on a terminal; piped output gets just the first and last line.
  const tty = canRedraw(process.stderr);
  const progress = startProgress(`Backing up controller "${controller}"`, tty);
  let lastDraw = 0;
  try {
    const res = await downloadBackup(session.clients, path, (done, total) => {
      if (!tty || Date.now() - lastDraw < 100) return;
      lastDraw = Date.now();
      progress.step(`Backing up controller "${controller}": ${humanBytes(done)} of ${humanBytes(total)}`);
    });
    progress.done(tty ? `Backed up controller "${controller}"` : undefined);
    ctx.out(`Backup of controller "${controller}" saved to ${file}`);
    ctx.out(`Size: ${humanBytes(res.size)} (${res.size} bytes)`);
    ctx.out(`SHA-256: ${res.sha256}`);
    // A backup of a PostgreSQL store restores into an empty database: say so where it is needed.
    const engine = await session.clients.controller
      .getControllerInfo({})
      .then((r) => r.controller?.storeEngine)
      .catch(() => undefined);
    const restore =
      engine === "postgres"
        ? `ferry restore-backup ${file} --store postgres://user@host:port/<empty database>`
        : `ferry restore-backup ${file}`;
    ctx.info(`It holds the controller's private keys: keep it safe. Restore with '${restore}'.`);
  } catch (err) {
    progress.fail(`Backup of controller "${controller}" failed`);
    if (err instanceof BackupDownloadError)
      throw new CliError(`backup of controller "${controller}" failed: ${err.message}`);
    throw err;
  }
}

/**
 * The client store's name for the restored controller, refusing names that
 * belong to another controller and a second name for this one (redirects
 * and `-c` lookups match controllers by UUID).
 */
async function chooseName(ctx: CliContext, opts: Opts, manifest: BackupManifest): Promise<string> {
  const uuid = manifest.controller.uuid;
  const name = String(opts.controller ?? manifest.controller.name);
  if (!NAME.test(name)) throw new CliError(`invalid controller name "${name}": use letters, digits, '.', '_' and '-'`);
  const { controllers } = await ctx.store.controllers();
  const sameName = controllers[name];
  if (sameName && sameName.uuid !== uuid) {
    throw new CliError(
      `controller name "${name}" is already used in the client store for another controller (UUID ${sameName.uuid})`,
      "Choose another name with -c <name>.",
    );
  }
  const alias = Object.entries(controllers).find(([n, c]) => n !== name && c.uuid === uuid)?.[0];
  if (alias) {
    throw new CliError(
      `this is a backup of controller "${alias}" in the client store`,
      `Restore it under that name with -c ${alias} to replace the lost controller, or restore from another FERRY_HOME.`,
    );
  }
  if (sameName?.pid && (await processAlive(sameName.pid)) && (await isFerryd(sameName.pid))) {
    throw new CliError(
      `controller "${name}" is still running (pid ${sameName.pid})`,
      "A backup replaces a lost controller: stop this one first, or restore from another FERRY_HOME.",
    );
  }
  return name;
}

async function verified(file: string, sha256?: string): Promise<BackupManifest> {
  try {
    return (await verifyBackup(resolve(file), { expectedSha256: sha256 })).manifest;
  } catch (err) {
    if (err instanceof BackupError) {
      throw new CliError(`cannot restore from ${file}: ${err.message}`, "Nothing was changed. Use another backup.");
    }
    throw err;
  }
}

export async function restoreBackup(ctx: CliContext, opts: Opts, file: string): Promise<void> {
  const manifest = await verified(file, opts.sha256 ? String(opts.sha256) : undefined);
  const c = manifest.controller;
  ctx.info(`Backup of controller "${c.name}" (${c.uuid}) made ${manifest.createdAt} by ${manifest.createdBy}`);
  const name = await chooseName(ctx, opts, manifest);
  const port = parsePort(String(opts.apiPort ?? "17070"));
  const dataDir = resolve(opts.dataDir ?? join(ctx.store.home, "controllers", name));
  await ensureEmptyDir(dataDir);
  const user = String(opts.user ?? (await ctx.store.account(name))?.user ?? "admin");
  // The restored controller keeps the backup's users and passwords. Asked for
  // before the daemon starts, so a prompt never interleaves with progress.
  const fromEnv = user === "admin" ? process.env.FERRY_ADMIN_PASSWORD : undefined;
  const password = fromEnv || (await readPassword(`password for ${user} (as in the backup): `));
  const portFile = join(dataDir, "api-port");
  const engine = backupEngine(manifest);
  const store = storeChoice(opts.store, dataDir);
  const storeUrl = store.url;
  if (engine === "postgres" && !storeUrl) {
    throw new CliError(
      `${file} holds a PostgreSQL store`,
      "Restore it into an empty database with --store postgres://user@host:port/database.",
    );
  }
  if (engine === "sqlite" && storeUrl) {
    throw new CliError(`${file} holds an embedded SQLite store`, "Restore it without --store (and FERRY_STORE).");
  }
  // The controller's identity comes from the backup: nodes share nothing else.
  const shared: string[] = [];
  if (storeUrl) await writeLaunchRecord(dataDir, { args: shared, store: storeUrl });
  const args = [...shared, "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--port-file", portFile];
  args.push("--restore-from", resolve(file));
  if (opts.sha256) args.push("--restore-sha256", String(opts.sha256));

  const progress = startProgress(`Restoring controller "${name}" from ${file}`);
  const handle: LaunchHandle = {};
  let launched;
  try {
    launched = await launchController({ args, dataDir, portFile, progress, env: store.env }, handle);
    if (launched.info.uuid !== c.uuid) {
      throw new CliError(`the restored controller reports UUID ${launched.info.uuid}, the backup says ${c.uuid}`);
    }
    if (c.caFingerprint && normaliseFingerprint(c.caFingerprint) !== launched.fingerprint) {
      throw new CliError("the restored controller serves a CA other than the backup's");
    }
  } catch (err) {
    progress.fail(`Restore of controller "${name}" failed`);
    throw withLogTail(err, await abandonLaunch(handle, portFile, dataDir), (t) => ctx.info(t));
  }
  try {
    // From here on the controller runs: record it before anything else can
    // fail, so 'ferry kill-controller' and 'ferry login' can reach it.
    await ctx.store.putController(name, {
      ...controllerRecordFrom(launched.info, launched.caPem, launched.fingerprint, launched.address),
      dataDir,
      pidFile: portFile,
      pid: launched.pid,
      store: store.display,
    });
    progress.step(`Logging in as ${user}`);
    let res;
    try {
      res = await loginWith(launched.clients, user, password);
    } catch (err) {
      progress.fail(`Controller "${name}" restored, login failed`);
      const why = err instanceof Error ? err.message : String(err);
      throw new CliError(
        `controller "${name}" was restored and runs at ${launched.address}, but logging in as ${user} failed: ${why}`,
        `Log in with 'ferry login -c ${name} -u <user>' and a password from the time of the backup.`,
      );
    }
    await ctx.store.putAccount(name, accountFrom(res, user));
    await ctx.store.setCurrentController(name);
    const models = await refreshModelCache(ctx, await ctx.session(name)).catch(() => undefined);
    progress.done(`Controller "${name}" is healthy`);
    ctx.out(`Controller "${name}" restored from ${file}, now available at ${launched.address}.`);
    ctx.out(`UUID ${c.uuid}, CA fingerprint ${launched.fingerprint} (unchanged: clients keep trusting it).`);
    const count = models ? `${models.length} model${models.length === 1 ? "" : "s"} visible to ${user}` : "its models";
    ctx.out(`Logged in as ${user}; ${count}: run 'ferry models -c ${name}'.`);
  } finally {
    handle.clients?.close();
  }
}
