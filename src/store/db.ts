// Opening a controller's SQLite store: one file in the data dir, WAL, foreign
// keys on, drizzle-kit migrations (committed under drizzle/) applied at start.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.js";

export type Db = BetterSQLite3Database<typeof schema>;

/** The open store of one controller. */
export interface Store {
  /** The drizzle handle; all repositories go through it. */
  readonly db: Db;
  /** Path of the SQLite file (a migration export reads a snapshot on its own connection). */
  readonly file: string;
  /** The raw connection, for pragmas and online backup. */
  readonly sqlite: Database.Database;
  /**
   * A number that changes whenever any row of the store changes (SQLite's
   * total_changes() of the controller's single connection). Read caches keep
   * the generation they were built at and are valid while it is unchanged.
   */
  generation(): number;
  /** Runs fn in one synchronous transaction (BEGIN IMMEDIATE). */
  tx<T>(fn: (db: Db) => T): T;
  close(): void;
}

/** Finds drizzle/ whether we run from src/ (vitest) or dist/src/ (compiled). */
function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("drizzle migrations folder not found");
}

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

export function openStore(file: string): Store {
  const sqlite = new Database(file);
  const totalChanges = sqlite.prepare("SELECT total_changes()").pluck();
  cacheStatements(sqlite);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL"); // WAL + NORMAL is durable across process crashes
  sqlite.pragma("busy_timeout = 5000");
  // Checkpoint the WAL every ~32 MiB instead of every 4 MiB: bulk writes (a
  // migration import is hundreds of MiB of rows) then spend far less time
  // copying pages back into the main file, at the cost of a larger WAL.
  sqlite.pragma("wal_autocheckpoint = 8192");
  // Migrations may rebuild tables (SQLite has no general ALTER); foreign key
  // enforcement during that would fail or cascade-delete, and the pragma
  // cannot change inside the migrator's transaction, so switch it off around it.
  sqlite.pragma("foreign_keys = OFF");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: migrationsFolder() });
  const problems = sqlite.pragma("foreign_key_check") as unknown[];
  if (problems.length > 0) throw new Error(`foreign key violations after migration: ${problems.length}`);
  sqlite.pragma("foreign_keys = ON");
  return {
    db,
    sqlite,
    file,
    generation: () => totalChanges.get() as number,
    tx: <T>(fn: (db: Db) => T): T => sqlite.transaction(() => fn(db)).immediate(),
    close: () => {
      if (sqlite.open) {
        sqlite.pragma("wal_checkpoint(TRUNCATE)");
        sqlite.close();
      }
    },
  };
}
