// What the repositories (./repos/) run on: one connection's transaction,
// whichever engine it is. The repositories are written once, against
// drizzle's query builder, and run on both engines; that works because each
// engine hands them its own tables (./schema/sqlite.ts or ./schema/postgres.ts,
// twins with the same JS names) and its own drizzle database.
//
// The TypeScript types are those of the PostgreSQL side: its query builder
// only has the awaitable, asynchronous forms (no SQLite-only .get()/.all()/
// .run()), so code that compiles here uses nothing the other engine lacks.
// The SQLite engine's database and tables are handed over under those types
// (one cast, in sqlite/engine.ts); the repository tests run on both engines.
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type * as schema from "./schema/postgres.js";

/** The tables, as the repositories see them. */
export type Tables = typeof schema;

/** The drizzle database of one connection (see the note above about its type). */
export type Db = NodePgDatabase<Record<string, never>>;

/**
 * What a transaction changed in a model: "status" (machines, applications,
 * units, relations, charms, users with access, migrations, the model row),
 * "migration" (also "status": a migration row or the model's migration mode,
 * what agents' migration watches wait for), "units" (also "status": units
 * added or removed, what machine agents' deployers wait for), "workload" (units' workload
 * reports and agent connections: many per second, so only status readers
 * hear of them), "config", "log" (new log entries), "deleted" (the model is
 * gone).
 */
export type ModelChangeKind = "status" | "migration" | "units" | "workload" | "config" | "log" | "deleted";

/** The engine-specific side of a transaction, for the few things SQL cannot say portably. */
export interface Session {
  readonly engine: "sqlite" | "postgres";
  readonly db: Db;
  readonly t: Tables;
  /**
   * Records that the open transaction changed a model: at commit the model's
   * version moves (read caches notice) and every node's watchers hear of it.
   */
  touch(modelUuid: string, ...kinds: ModelChangeKind[]): void;
  /**
   * Serialises the transactions that take the same key until they end, for a
   * check followed by a write (SQLite: every write transaction is serialised
   * already).
   */
  lock(key: string): Promise<void>;
  /** The database's clock in ms (leases and heartbeats are measured on it). */
  clock(): Promise<number>;
  /** A query built once per connection (drizzle's building costs more than running it). */
  prepared<T>(key: string, build: (db: Db) => T): T;
  /** Inserts many rows of one table (column names as in SQL), fast and in order. */
  insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
}

/** The first row of a query result. */
export function first<T>(rows: T[]): T | undefined {
  return rows[0];
}
