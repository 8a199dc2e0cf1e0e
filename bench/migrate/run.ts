// bench/migrate: migrates generated models of 1k, 10k and 100k units (with
// machines, applications, relations and status history in proportion) between
// two local ferryd processes over TLS, and prints per size: total time, time
// per phase, peak RSS of each controller, and the ratio of the total to a raw
// copy of the same rows in the source's engine measured in the same run.
// With --store postgres (a throwaway server the bench starts) or
// --store postgres://...: also PostgreSQL to PostgreSQL (two databases),
// SQLite to PostgreSQL and PostgreSQL to SQLite, in the same run.
// Usage: npm run bench:migrate [-- --sizes 1000,10000,100000 --store postgres[://...]
//                                --pairs sqlite:sqlite,postgres:postgres,...]
import Database from "better-sqlite3";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import pg from "pg";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { generateModel, openStore } from "../../src/store/index.js";
import { clientFor, startFerryd, type Ferryd } from "../../test/helpers/ferryd.js";
import { benchPostgres, storeArg, type BenchPostgres } from "../common/postgres.js";

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const SIZES = (option("--sizes") ?? "1000,10000,100000").split(",").map(Number);
const STORE = storeArg(args);

type Engine = "sqlite" | "postgres";
interface Pair {
  src: Engine;
  dst: Engine;
}
const ALL_PAIRS = "sqlite:sqlite,postgres:postgres,sqlite:postgres,postgres:sqlite";
const PAIRS: Pair[] = (option("--pairs") ?? (STORE ? ALL_PAIRS : "sqlite:sqlite")).split(",").map((p) => {
  const [src, dst] = p.split(":");
  for (const e of [src, dst]) {
    if (e !== "sqlite" && e !== "postgres") throw new Error(`--pairs ${p}: want engine:engine (sqlite, postgres)`);
  }
  if (!STORE && (src === "postgres" || dst === "postgres")) throw new Error(`--pairs ${p} needs --store postgres`);
  return { src, dst } as Pair;
});

/** Peak resident set size of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The baseline on SQLite: copy the model's rows table by table into a fresh SQLite file. */
function rawSqliteCopyMs(dbFile: string, modelUuid: string, outFile: string): number {
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

/**
 * The baseline on PostgreSQL: copy the model's rows table by table into
 * tables of a scratch schema of the same database, in one transaction (then
 * drop them, so that the migration does not see them).
 */
async function rawPostgresCopyMs(url: string, modelUuid: string): Promise<number> {
  if (!/^[0-9a-f-]{36}$/.test(modelUuid)) throw new Error(`unexpected model UUID ${modelUuid}`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (
      await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'model_uuid'
            AND table_name NOT IN ('migrations', 'model_redirects')`,
      )
    ).rows.map((r) => r.table_name);
    const t = performance.now();
    await c.query("BEGIN");
    await c.query("CREATE SCHEMA bench_copy");
    for (const name of ["models", ...tables]) {
      const col = name === "models" ? "uuid" : "model_uuid";
      // CREATE TABLE AS takes no parameters: the UUID was checked above.
      await c.query(
        `CREATE TABLE bench_copy."${name}" AS SELECT * FROM public."${name}" WHERE ${col} = '${modelUuid}'`,
      );
    }
    await c.query("COMMIT");
    const ms = performance.now() - t;
    await c.query("DROP SCHEMA bench_copy CASCADE");
    return ms;
  } finally {
    await c.end();
  }
}

async function login(c: Ferryd): Promise<string> {
  return (await clientFor(c, ControllerService).login({ user: "admin", password: c.adminPassword })).token;
}

async function benchSize(units: number, pair: Pair, server: BenchPostgres | undefined): Promise<void> {
  const quiet = { FERRY_LOG_LEVEL: "warn" };
  const srcUrl = pair.src === "postgres" ? await server!.database("src") : undefined;
  const dstUrl = pair.dst === "postgres" ? await server!.database("dst") : undefined;
  // Bootstrap the source once, stop it, fill its store directly (fast bulk
  // inserts), then start both controllers.
  let src = await startFerryd({ name: "bsrc", env: quiet, store: srcUrl });
  await src.stop();
  const sqliteFile = join(src.dataDir, "ferry.db");
  const store = await openStore(srcUrl ? { engine: "postgres", url: srcUrl } : { engine: "sqlite", file: sqliteFile });
  const gen = await generateModel(store, { units, name: `m${units}`, owner: "admin" });
  await store.close();
  const copyMs = srcUrl
    ? await rawPostgresCopyMs(srcUrl, gen.uuid)
    : rawSqliteCopyMs(sqliteFile, gen.uuid, join(src.dataDir, "raw-copy.db"));
  src = await startFerryd({ name: "bsrc", dataDir: src.dataDir, env: quiet, store: srcUrl });
  const dst = await startFerryd({ name: "bdst", env: quiet, store: dstUrl });
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
      `${pair.src} -> ${pair.dst}: ` +
        `${String(units).padStart(6)} units (${gen.machines} machines, ${gen.applications} apps, ${gen.relations} relations, ${gen.rows} rows): ` +
        `total ${(totalMs / 1000).toFixed(2)} s, raw ${pair.src === "postgres" ? "PostgreSQL" : "SQLite"} copy ${copyMs.toFixed(0)} ms, ratio ${(totalMs / copyMs).toFixed(1)}x, ` +
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
  const server = STORE ? await benchPostgres(STORE) : undefined;
  try {
    for (const n of SIZES) for (const pair of PAIRS) await benchSize(n, pair, server);
  } finally {
    await server?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
