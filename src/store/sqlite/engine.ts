// The embedded engine: one SQLite file per controller (<data-dir>/ferry.db),
// WAL, better-sqlite3 12. better-sqlite3 runs statements synchronously and
// its transactions cannot await, so the asynchronous Store runs its own:
// writes on a writer connection (BEGIN IMMEDIATE ... COMMIT), reads on a
// reader connection (BEGIN ... COMMIT: WAL gives one snapshot), each
// connection behind a lock so that no other call's statement can join an
// open transaction while its function awaits.
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, openSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { STORE_FILE } from "../../util/backup-archive.js";
import { Mutex } from "../../util/mutex.js";
import { createChangeHub, type ChangeHub } from "../changes.js";
import { migrationsFolder } from "../migrations-folder.js";
import { OpenSnapshots, type ModelSnapshot } from "../model-tables.js";
import { Repos } from "../repos/index.js";
import * as schema from "../schema/sqlite.js";
import type { Db, ModelChangeKind, Session, Tables } from "../session.js";
import { LeaseLost, type Store, type StoreBackupFile, type WriteOptions } from "../store.js";
import { openSqliteSnapshot } from "./snapshot.js";

/**
 * drizzle prepares a new SQLite statement for every query it runs, and
 * preparing costs more than running our small queries. Reuse statements by SQL
 * text (bounded LRU). drizzle switches a statement to raw mode for some reads,
 * so a reused reader statement is reset to row objects first.
 */
function cacheStatements(sqlite: Database.Database, max = 512): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (stmt) {
      cache.delete(source); // re-insert: most recently used last
      if (stmt.reader) stmt.raw(false);
    } else {
      stmt = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, stmt);
    return stmt;
  }) as typeof sqlite.prepare;
}

function configure(sqlite: Database.Database): void {
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
}

/** One connection: its drizzle database, its repositories, what its open transaction touched. */
class Connection implements Session {
  readonly engine = "sqlite" as const;
  readonly db: Db;
  readonly t = schema as unknown as Tables;
  readonly repos: Repos;
  readonly mutex = new Mutex();
  touched = new Map<string, Set<ModelChangeKind>>();
  private readonly queries = new Map<string, unknown>();
  private readonly inserts = new Map<string, Database.Statement>();

  constructor(readonly sqlite: Database.Database) {
    cacheStatements(sqlite);
    // The one cast that lets the engine-blind repositories (typed on the
    // PostgreSQL builder, see ../session.ts) run on SQLite's builder.
    this.db = drizzle(sqlite, { schema }) as unknown as Db;
    this.repos = new Repos(this);
  }

  touch(modelUuid: string, ...kinds: ModelChangeKind[]): void {
    let set = this.touched.get(modelUuid);
    if (!set) this.touched.set(modelUuid, (set = new Set()));
    for (const k of kinds) set.add(k);
  }

  async lock(): Promise<void> {
    // Every write transaction holds the database's write lock already.
  }

  async clock(): Promise<number> {
    return Date.now();
  }

  prepared<T>(key: string, build: (db: Db) => T): T {
    let q = this.queries.get(key) as T | undefined;
    if (q === undefined) this.queries.set(key, (q = build(this.db)));
    return q;
  }

  async insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    const key = `${table}(${columns.join(",")})`;
    let stmt = this.inserts.get(key);
    if (!stmt) {
      stmt = this.sqlite.prepare(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      );
      this.inserts.set(key, stmt);
    }
    for (const r of rows) stmt.run(...r);
  }
}

export interface SqliteStoreOptions {
  /** Publish committed changes here (default: a hub of the store's own). */
  changes?: ChangeHub;
}

class SqliteStore implements Store {
  readonly engine = "sqlite" as const;
  readonly shared = false;
  readonly changes: ChangeHub;
  private readonly writer: Connection;
  private readonly reader: Connection;
  /** Model versions: one counter in the one process (./session.ts, touch). */
  private version: number;
  private readonly snapshots = new OpenSnapshots();
  private closed = false;

  constructor(
    readonly location: string,
    writer: Database.Database,
    reader: Database.Database,
    opts: SqliteStoreOptions,
  ) {
    this.changes = opts.changes ?? createChangeHub();
    this.writer = new Connection(writer);
    this.reader = new Connection(reader);
    this.version = (writer.prepare("SELECT coalesce(max(version), 0) FROM models").pluck().get() as number) + 1;
  }

  // ReadOptions.oneStatement changes nothing here: a SQLite transaction
  // costs no round trip.
  read<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    const c = this.reader;
    return c.mutex.run(async () => {
      this.checkOpen();
      c.sqlite.exec("BEGIN");
      try {
        return await fn(c.repos);
      } finally {
        if (c.sqlite.inTransaction) c.sqlite.exec("COMMIT");
      }
    });
  }

  async write<T>(fn: (tx: Repos) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
    const c = this.writer;
    const { out, touched } = await c.mutex.run(async () => {
      this.checkOpen();
      c.touched = new Map();
      c.sqlite.exec("BEGIN IMMEDIATE");
      try {
        if (opts.fence && !(await c.repos.leases.holds(opts.fence.name, opts.fence.holder, opts.fence.epoch))) {
          throw new LeaseLost(opts.fence);
        }
        const out = await fn(c.repos);
        const touched = c.touched;
        const changed = [...touched].filter(([, kinds]) => [...kinds].some((k) => k !== "log")).map(([m]) => m);
        if (changed.length) {
          const bump = c.sqlite.prepare("UPDATE models SET version = ? WHERE uuid = ?");
          const v = this.version++;
          for (const m of changed) bump.run(v, m);
        }
        c.sqlite.exec("COMMIT");
        return { out, touched };
      } catch (err) {
        if (c.sqlite.inTransaction) c.sqlite.exec("ROLLBACK");
        throw err;
      } finally {
        c.touched = new Map();
      }
    });
    for (const [modelUuid, kinds] of touched) this.changes.publish(modelUuid, ...kinds);
    return out;
  }

  async openModelSnapshot(modelUuid: string): Promise<ModelSnapshot> {
    this.checkOpen();
    return this.snapshots.add(openSqliteSnapshot(this.location, modelUuid));
  }

  async backupFile(dir: string): Promise<StoreBackupFile> {
    this.checkOpen();
    const path = join(dir, `.backup-${randomBytes(6).toString("hex")}.db`);
    // SQLite's online backup over the controller's own connection: writes
    // made meanwhile are applied to the copy too, so it is one consistent
    // state, never a torn copy of a live WAL database.
    await this.writer.sqlite.backup(path);
    const copy = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const modelCount = copy.prepare("SELECT count(*) FROM models").pluck().get() as number;
      return { name: STORE_FILE, path, modelCount };
    } finally {
      copy.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let running transactions finish first.
    await this.writer.mutex.run(async () => undefined);
    await this.reader.mutex.run(async () => undefined);
    this.closed = true;
    await this.snapshots.closeAll();
    this.reader.sqlite.close();
    if (this.writer.sqlite.open) {
      this.writer.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      this.writer.sqlite.close();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error("store is closed");
  }
}

/** Opens (creating if needed) the SQLite store in `file` and applies the committed migrations. */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  // The store holds password hashes, tokens and the CA key: 0600 whatever the
  // umask. SQLite gives its -wal and -shm files the database file's mode;
  // files left by an earlier, looser run are tightened too.
  if (file !== ":memory:") {
    closeSync(openSync(file, "a", 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      try {
        chmodSync(f, 0o600);
      } catch {
        // not there (yet): created with the database's mode
      }
    }
  }
  const writer = new Database(file);
  try {
    writer.pragma("journal_mode = WAL");
    writer.pragma("synchronous = NORMAL"); // WAL + NORMAL is durable across process crashes
    writer.pragma("busy_timeout = 5000");
    // Checkpoint the WAL every ~32 MiB instead of every 4 MiB: bulk writes (a
    // migration import is hundreds of MiB of rows) then spend far less time
    // copying pages back into the main file, at the cost of a larger WAL.
    writer.pragma("wal_autocheckpoint = 8192");
    // Migrations may rebuild tables (SQLite has no general ALTER); foreign key
    // enforcement during that would fail or cascade-delete, and the pragma
    // cannot change inside the migrator's transaction, so switch it off around it.
    writer.pragma("foreign_keys = OFF");
    migrate(drizzle(writer), { migrationsFolder: migrationsFolder("sqlite") });
    const problems = writer.pragma("foreign_key_check") as unknown[];
    if (problems.length > 0) throw new Error(`foreign key violations after migration: ${problems.length}`);
    configure(writer);
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    configure(reader);
    return new SqliteStore(file, writer, reader, opts);
  } catch (err) {
    writer.close();
    throw err;
  }
}
