// bench/migrate: migrates generated models of 1k, 10k and 100k units (with
// machines, applications, relations and status history in proportion) between
// two local ferryd processes over TLS, and prints per size: total time, time
// per phase, peak RSS of each controller, and the ratio of the total to a raw
// SQLite copy of the same rows measured in the same run.
// Usage: npm run bench:migrate [-- --sizes 1000,10000,100000]
import Database from "better-sqlite3";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { generateModel, openStore } from "../../src/store/index.js";
import { clientFor, startFerryd, type Ferryd } from "../../test/helpers/ferryd.js";

const sizesArg = process.argv.indexOf("--sizes");
const SIZES = (sizesArg >= 0 ? process.argv[sizesArg + 1] : "1000,10000,100000").split(",").map(Number);

/** Peak resident set size of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The baseline: copy the model's rows table by table into a fresh SQLite file. */
function rawCopyMs(dbFile: string, modelUuid: string, outFile: string): number {
  rmSync(outFile, { force: true });
  const db = new Database(dbFile);
  const t = performance.now();
  db.exec(`ATTACH '${outFile}' AS copy`);
  const tables = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%model_uuid%'")
      .pluck()
      .all() as string[]
  ).filter((n) => !n.startsWith("sqlite_") && n !== "migrations" && n !== "model_redirects");
  db.exec("BEGIN");
  for (const name of tables) {
    const col = name === "models" ? "uuid" : "model_uuid";
    db.exec(`CREATE TABLE copy.${name} AS SELECT * FROM main.${name} WHERE 0`);
    db.prepare(`INSERT INTO copy.${name} SELECT * FROM main.${name} WHERE ${col} = ?`).run(modelUuid);
  }
  db.exec("COMMIT");
  const ms = performance.now() - t;
  db.close();
  return ms;
}

async function login(c: Ferryd): Promise<string> {
  return (await clientFor(c, ControllerService).login({ user: "admin", password: c.adminPassword })).token;
}

async function benchSize(units: number): Promise<void> {
  // Bootstrap the source once, stop it, fill its store directly (fast raw
  // inserts), then start both controllers.
  let src = await startFerryd({ name: "bsrc", env: { FERRY_LOG_LEVEL: "warn" } });
  await src.stop();
  const store = await openStore({ engine: "sqlite", file: join(src.dataDir, "ferry.db") });
  const gen = await generateModel(store, { units, name: `m${units}`, owner: "admin" });
  await store.close();
  const copyMs = rawCopyMs(join(src.dataDir, "ferry.db"), gen.uuid, join(src.dataDir, "raw-copy.db"));
  src = await startFerryd({ name: "bsrc", dataDir: src.dataDir, env: { FERRY_LOG_LEVEL: "warn" } });
  const dst = await startFerryd({ name: "bdst", env: { FERRY_LOG_LEVEL: "warn" } });
  try {
    const dstCtl = clientFor(dst, ControllerService, await login(dst));
    const info = (await dstCtl.getControllerInfo({})).controller!;
    const srcInfo = (await clientFor(src, ControllerService).getControllerInfo({})).controller!;
    const { token } = await dstCtl.createMigrationToken({ modelUuid: gen.uuid, sourceControllerUuid: srcInfo.uuid });
    const migrations = clientFor(src, MigrationService, await login(src));
    const t0 = performance.now();
    const started = await migrations.startMigration({
      model: gen.uuid,
      target: {
        controllerUuid: info.uuid,
        controllerName: "bdst",
        addresses: info.apiAddresses,
        caCert: info.caCert,
        token,
      },
    });
    let last = started.migration!;
    for await (const u of migrations.watchMigration({ id: last.id })) {
      last = u.migration!;
      if (
        last.phase === MigrationPhase.DONE ||
        last.phase === MigrationPhase.ABORTDONE ||
        last.phase === MigrationPhase.REAPFAILED
      )
        break;
    }
    const totalMs = performance.now() - t0;
    if (last.phase !== MigrationPhase.DONE)
      throw new Error(`migration ended in ${MigrationPhase[last.phase]}: ${last.failure}`);
    const phases = last.phaseTimings
      .filter((p) => p.startTime && p.endTime)
      .map((p) => `${MigrationPhase[p.phase]} ${(timestampMs(p.endTime!) - timestampMs(p.startTime!)).toFixed(0)}ms`);
    console.log(
      `${String(units).padStart(6)} units (${gen.machines} machines, ${gen.applications} apps, ${gen.relations} relations, ${gen.rows} rows): ` +
        `total ${(totalMs / 1000).toFixed(2)} s, raw SQLite copy ${copyMs.toFixed(0)} ms, ratio ${(totalMs / copyMs).toFixed(1)}x, ` +
        `peak RSS src ${peakRssMiB(src.proc.pid!).toFixed(0)} MiB dst ${peakRssMiB(dst.proc.pid!).toFixed(0)} MiB`,
    );
    console.log(`        phases: ${phases.join(", ")}; log entries transferred: ${last.progress?.logsDone ?? 0n}`);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
    src.cleanup();
    dst.cleanup();
  }
}

async function main(): Promise<void> {
  for (const n of SIZES) await benchSize(n);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
