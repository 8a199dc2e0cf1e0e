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
  /** The raw connection, for pragmas and online backup. */
  readonly sqlite: Database.Database;
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

export function openStore(file: string): Store {
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL"); // WAL + NORMAL is durable across process crashes
  sqlite.pragma("busy_timeout = 5000");
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
    tx: <T>(fn: (db: Db) => T): T => sqlite.transaction(() => fn(db)).immediate(),
    close: () => {
      if (sqlite.open) {
        sqlite.pragma("wal_checkpoint(TRUNCATE)");
        sqlite.close();
      }
    },
  };
}
