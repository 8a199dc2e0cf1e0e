#!/usr/bin/env node
// ferryd: a Ferry controller in the foreground. Flags override FERRY_*
// environment variables; `ferryd --help` lists both.
import { Command } from "commander";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describeStore, FERRY_VERSION, resolveConfig, type RawOptions } from "../config.js";
import { newPassword } from "../domain/credentials.js";
import { startController } from "../server.js";
import { createLogger } from "../transport/index.js";

const program = new Command("ferryd")
  .description(
    "Run a Ferry controller: a gRPC API over TLS with its own CA, on its embedded SQLite store or on PostgreSQL " +
      "(several ferryd processes on one PostgreSQL database are one controller).",
  )
  .version(FERRY_VERSION)
  .option("--name <name>", "controller name (FERRY_CONTROLLER_NAME)", undefined)
  .option("--cloud <cloud>", "cloud name (FERRY_CLOUD; default localhost)")
  .option("--cloud-type <type>", "cloud type, e.g. lxd (FERRY_CLOUD_TYPE; default lxd)")
  .option("--region <region>", "cloud region (FERRY_REGION; default localhost)")
  .option("--regions <list>", "comma-separated regions the cloud offers (FERRY_REGIONS)")
  .option("--agent-version <v>", `agent version (FERRY_AGENT_VERSION; default ${FERRY_VERSION})`)
  .option("--listen <host:port>", "API listen address; port 0 picks one (FERRY_LISTEN; default 127.0.0.1:17070)")
  .option(
    "--metrics-listen <host:port>",
    "serve Prometheus metrics at http://<host:port>/metrics; port 0 picks one (FERRY_METRICS_LISTEN; default off)",
  )
  .option("--data-dir <dir>", "data directory (FERRY_DATA_DIR; default ~/.local/share/ferryd/<name>)")
  .option(
    "--store <store>",
    'where the controller keeps its data: "sqlite" (default: <data-dir>/ferry.db) or ' +
      "postgres://user[:password]@host:port/database (FERRY_STORE)",
  )
  .option("--hostname <name...>", "extra host names/IPs for the certificate (FERRY_HOSTNAMES, comma-separated)")
  .option("--port-file <file>", "write {address,pid} JSON here once listening (FERRY_PORT_FILE)")
  .option("--admin-password-stdin", "read the first admin password from the first line of stdin")
  .option("--token-ttl <seconds>", "login token lifetime (FERRY_TOKEN_TTL; default 86400)")
  .option("--provision-delay <ms>", "simulated provisioning delay (FERRY_PROVISION_DELAY_MS; default 300)")
  .option(
    "--lease-ttl <seconds>",
    "lease time of singular work: a node that stops renewing loses it to another node within this (FERRY_LEASE_TTL; default 10)",
  )
  .option(
    "--agents <mode>",
    '"process": every machine the simulated cloud starts gets an agent, run by ferry-agent processes detached ' +
      'from ferryd; "none": agent statuses are simulated (FERRY_AGENTS; default none, ferry bootstrap uses process)',
  )
  .option(
    "--agent-timeout <seconds>",
    "an agent silent this long is shown down (machines) or lost (units) (FERRY_AGENT_TIMEOUT; default 10)",
  )
  .option(
    "--workload-interval <seconds>",
    "how often each unit's workload reports (FERRY_WORKLOAD_INTERVAL; default 1)",
  )
  .option("--agents-per-process <n>", "machines per ferry-agent process (FERRY_AGENTS_PER_PROCESS; default 25)")
  .option("--log-level <level>", "debug, info, warn or error (FERRY_LOG_LEVEL; default info)")
  .option("--insecure", "serve plaintext instead of TLS (local debugging only; FERRY_INSECURE=1)")
  .option(
    "--restore-from <file>",
    "unpack this backup (from 'ferry create-backup') into the empty data dir, then start from it",
  )
  .option("--restore-sha256 <hex>", "with --restore-from: refuse the backup unless its SHA-256 is this")
  .addHelpText(
    "after",
    "\nThe first admin password comes from FERRY_ADMIN_PASSWORD, or stdin with --admin-password-stdin;\n" +
      "otherwise one is generated and printed once. A restored controller keeps the backup's users and passwords.\n\n" +
      "Examples:\n  ferryd --name dev --listen 127.0.0.1:17070 --data-dir ./dev-controller\n" +
      "  ferryd --restore-from ferry-backup-dev.tar --data-dir ./restored --listen 127.0.0.1:17071\n" +
      "  ferryd --store postgres://ferry@127.0.0.1:5432/ferry_restored --restore-from ferry-backup-prod.tar --data-dir ./node-1",
  );

function readFirstLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    let done = false;
    rl.once("line", (line) => {
      done = true;
      rl.close();
      resolve(line.trim());
    });
    rl.once("close", () => {
      if (!done) reject(new Error("--admin-password-stdin: no password on stdin"));
    });
  });
}

/**
 * --restore-from: verify the backup and unpack it into the data dir before
 * anything else touches it, so the controller then starts exactly as the one
 * backed up (same UUID, CA, users and models). The backup's name is the
 * default controller name; the stored identity wins over flags anyway.
 */
async function restoreIfAsked(flags: RawOptions): Promise<RawOptions> {
  const file = typeof flags.restoreFrom === "string" ? resolve(flags.restoreFrom) : undefined;
  if (!file) return flags;
  const { backupEngine, BackupError, restoreBackup, verifyBackup } = await import("../util/backup-archive.js");
  try {
    const verified = await verifyBackup(file, { expectedSha256: flags.restoreSha256 as string | undefined });
    const { manifest } = verified;
    const config = resolveConfig({ ...flags, name: (flags.name as string | undefined) ?? manifest.controller.name });
    const engine = backupEngine(manifest);
    if (engine !== config.store.engine) {
      throw new BackupError(
        engine === "postgres"
          ? "it holds a PostgreSQL store: restore it with --store postgres://... (an empty database)"
          : "it holds an embedded SQLite store: restore it without --store postgres://...",
      );
    }
    await restoreBackup(file, config.dataDir, { verified });
    let where = config.dataDir;
    if (config.store.engine === "postgres") {
      // The dump goes into the (empty) database; the data dir keeps the node's own files only.
      const { DumpError, restoreStore } = await import("../store/index.js");
      const dump = join(config.dataDir, manifest.store!.file);
      try {
        await restoreStore(config.store, dump);
      } catch (err) {
        // Leave the data dir as it was, so the restore can be tried again.
        for (const f of manifest.files) await rm(join(config.dataDir, f.name), { force: true });
        if (err instanceof DumpError) throw new BackupError(err.message);
        throw err;
      } finally {
        await rm(dump, { force: true });
      }
      where = describeStore(config.store);
    }
    process.stderr.write(
      `ferryd: restored controller "${manifest.controller.name}" (${manifest.controller.uuid}) ` +
        `from ${file} (made ${manifest.createdAt}) into ${where}\n`,
    );
    return { ...flags, name: config.name };
  } catch (err) {
    if (err instanceof BackupError) throw new Error(`cannot restore from backup ${file}: ${err.message}`);
    throw err;
  }
}

async function main(): Promise<void> {
  program.parse();
  const flags = await restoreIfAsked(program.opts() as RawOptions);
  const config = resolveConfig(flags);
  const logger = createLogger({ level: config.logLevel, fields: { controller: config.name } });
  const adminPassword = async (): Promise<string> => {
    const fromEnv = process.env.FERRY_ADMIN_PASSWORD;
    const pw = fromEnv ? fromEnv : config.adminPasswordStdin ? await readFirstLine() : "";
    if (pw) {
      if (pw.length < 8) throw new Error("admin password must be at least 8 characters");
      return pw;
    }
    // Printed once the controller exists (another node of a shared store may bootstrap it first).
    generated = newPassword();
    return generated;
  };
  let generated: string | undefined;
  const controller = await startController({ config, logger, adminPassword });
  if (controller.created && generated) {
    // Printed once, to the terminal only, never to the structured log.
    process.stdout.write(`Admin password for controller "${controller.identity.name}" (shown once): ${generated}\n`);
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn("second signal: exiting now", { signal: sig });
      process.exit(1);
    }
    logger.info("shutting down", { signal: sig });
    controller.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error("shutdown failed", { err: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`ferryd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
