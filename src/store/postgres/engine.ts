// The shared engine: PostgreSQL through node-postgres (`pg`) and
// drizzle-orm/node-postgres. Several ferryd processes (nodes) on one database
// are one controller, so transactions of different nodes really interleave:
// writes run at READ COMMITTED with per-model advisory transaction locks
// where a check is followed by a write (Repos.lockModel), and a
// serialization failure or deadlock is retried; reads run REPEATABLE READ
// READ ONLY (one snapshot). Every commit that changed a model moves its
// version (a sequence) and NOTIFYs the other nodes inside the same
// transaction; each node LISTENs on one connection of its own and feeds its
// ChangeHub (and, after that connection was lost, tells every watcher that
// everything may have changed).
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { is } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { createChangeHub, type ChangeHub } from "../changes.js";
import { OpenSnapshots, type ModelSnapshot } from "../model-tables.js";
import { Repos } from "../repos/index.js";
import * as schema from "../schema/postgres.js";
import type { Db, ModelChangeKind, Session, Tables } from "../session.js";
import { migrationsFolder } from "../migrations-folder.js";
import { LeaseLost, type ReadOptions, type Store, type StoreBackupFile, type WriteOptions } from "../store.js";
import { dumpPostgres } from "./dump.js";
import { openPostgresSnapshot } from "./snapshot.js";

/** The NOTIFY channel every node of a controller listens on. */
const CHANNEL = "ferry_changes";
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7000;
/** Key of the session advisory lock that serialises schema migrations of nodes starting together. */
const MIGRATE_LOCK = 7_300_000_001;
const RETRY_CODES = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 8;

/**
 * int8 (bigint: millisecond times, sizes, serial ids) as JS numbers rather
 * than strings; every value we store is far below 2^53.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

/** A one-statement read reached its second statement: it runs again in a transaction. */
class NeedsTransaction extends Error {
  constructor() {
    super("a one-statement read issued a second statement");
    this.name = "NeedsTransaction";
  }
}

/** One pooled connection as the repositories see it, with what its open transaction touched. */
class Connection implements Session {
  readonly engine = "postgres" as const;
  readonly db: Db;
  readonly t = schema as Tables;
  readonly repos: Repos;
  touched = new Map<string, Set<ModelChangeKind>>();
  locked = new Set<string>();
  private readonly queries = new Map<string, unknown>();
  /** Statements left before a one-statement read must start over in a transaction (undefined: no limit). */
  budget: number | undefined;
  /** A one-statement read tried a second statement. */
  overBudget = false;
  /**
   * A statement failed outside SQL (socket gone, protocol trouble): the
   * connection must not go back to the pool. Errors of the caller's own
   * (NOT_FOUND, a refused import) say nothing about the connection.
   */
  broken: Error | undefined;

  constructor(readonly client: pg.PoolClient) {
    // Drizzle only ever calls query(); counting there is what lets a
    // one-statement read stop before a second, unsnapshotted statement.
    const counted = {
      query: (...args: unknown[]) => {
        this.spend();
        return this.watch((client.query as (...a: unknown[]) => Promise<unknown>)(...args));
      },
    };
    this.db = drizzle({ client: counted as unknown as pg.PoolClient, schema }) as unknown as Db;
    this.repos = new Repos(this);
  }

  /** Sends one statement of our own (counted, and watched for a broken connection). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.spend();
    return this.watch(this.client.query<R>(text, values));
  }

  private watch<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      if (!(err instanceof pg.DatabaseError)) this.broken ??= err as Error;
      throw err;
    });
  }

  /** Accounts for one statement of a one-statement read; throws once it would be the second. */
  private spend(): void {
    if (this.budget === undefined) return;
    if (this.budget-- <= 0) {
      this.overBudget = true;
      throw new NeedsTransaction();
    }
  }

  begin(): void {
    this.touched = new Map();
    this.locked = new Set();
  }

  touch(modelUuid: string, ...kinds: ModelChangeKind[]): void {
    let set = this.touched.get(modelUuid);
    if (!set) this.touched.set(modelUuid, (set = new Set()));
    for (const k of kinds) set.add(k);
  }

  async lock(key: string): Promise<void> {
    if (this.locked.has(key)) return;
    await this.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key]);
    this.locked.add(key);
  }

  async clock(): Promise<number> {
    const r = await this.query<{ now: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS now");
    return r.rows[0]!.now;
  }

  prepared<T>(key: string, build: (db: Db) => T): T {
    let q = this.queries.get(key) as T | undefined;
    if (q === undefined) this.queries.set(key, (q = build(this.db)));
    return q;
  }

  async insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    // One statement per batch with one array parameter per column, unnested
    // on the server: planning a statement of 60k scalar parameters (a
    // multi-row VALUES) cost the server about twice as much per row.
    const types = columnTypes(table);
    const casts = columns.map((c, i) => {
      const type = types.get(c);
      if (!type) throw new Error(`insertRows: ${table} has no column ${c}`);
      return `$${i + 1}::${type}[]`;
    });
    const cols = columns.map((c) => `"${c}"`).join(", ");
    const text = `INSERT INTO "${table}" (${cols}) SELECT * FROM unnest(${casts.join(", ")})`;
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch = rows.slice(i, i + INSERT_BATCH);
      const arrays = columns.map((_, j) => batch.map((r) => r[j]));
      await this.query(text, arrays);
    }
  }
}

/** Rows per bulk INSERT statement. */
const INSERT_BATCH = 5000;

let tableTypes: Map<string, Map<string, string>> | undefined;

/** The SQL type of each column of `table` (collation left out: the column has it), from the schema. */
function columnTypes(table: string): Map<string, string> {
  if (!tableTypes) {
    tableTypes = new Map();
    for (const value of Object.values(schema)) {
      if (!is(value, PgTable)) continue;
      const config = getTableConfig(value);
      tableTypes.set(
        config.name,
        new Map(config.columns.map((c) => [c.name, c.getSQLType().replace(/ COLLATE .*$/, "")])),
      );
    }
  }
  return tableTypes.get(table) ?? new Map();
}

export interface PostgresStoreOptions {
  /** Publish committed changes here (default: a hub of the store's own). */
  changes?: ChangeHub;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Where a lost LISTEN connection and other background trouble is reported. */
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

interface ChangePayload {
  /** The publishing store (a node ignores its own notifications: it published them already). */
  o: string;
  /** [model uuid, ...kinds] */
  c: [string, ...ModelChangeKind[]][];
}

class PostgresStore implements Store {
  readonly engine = "postgres" as const;
  readonly shared = true;
  readonly changes: ChangeHub;
  readonly location: string;
  private readonly origin = randomBytes(8).toString("hex");
  private readonly connections = new WeakMap<pg.PoolClient, Connection>();
  private listener: pg.Client | undefined;
  private listening = false;
  private closed = false;
  private active = 0;
  private idle: (() => void) | undefined;
  private readonly snapshots = new OpenSnapshots();

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly opts: PostgresStoreOptions,
  ) {
    this.changes = opts.changes ?? createChangeHub();
    this.location = redactUrl(url);
  }

  private async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("store is closed");
    this.active++;
    let client: pg.PoolClient | undefined;
    let c: Connection | undefined;
    try {
      client = await this.pool.connect();
      c = this.connections.get(client);
      if (!c) this.connections.set(client, (c = new Connection(client)));
      c.broken = undefined;
      return await fn(c);
    } finally {
      // A connection whose statement failed outside SQL is destroyed, not pooled.
      client?.release(c?.broken);
      if (--this.active === 0) this.idle?.();
    }
  }

  read<T>(fn: (tx: Repos) => Promise<T>, opts: ReadOptions = {}): Promise<T> {
    return this.withConnection(async (c) => {
      if (opts.oneStatement) {
        // Optimistically without BEGIN/COMMIT; a second statement sends us
        // to the transaction below (even if fn caught the error).
        c.budget = 1;
        c.overBudget = false;
        try {
          const out = await fn(c.repos);
          if (!c.overBudget) return out;
        } catch (err) {
          if (!c.overBudget) throw err;
        } finally {
          c.budget = undefined;
        }
      }
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        const out = await fn(c.repos);
        await c.query("COMMIT");
        return out;
      } catch (err) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  }

  async write<T>(fn: (tx: Repos) => Promise<T>, opts: WriteOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { out, touched } = await this.withConnection(async (c) => {
          c.begin();
          await c.query("BEGIN");
          try {
            if (opts.fence && !(await c.repos.leases.holds(opts.fence.name, opts.fence.holder, opts.fence.epoch))) {
              throw new LeaseLost(opts.fence);
            }
            const out = await fn(c.repos);
            const touched = c.touched;
            await this.recordChanges(c, touched);
            await c.query("COMMIT");
            return { out, touched };
          } catch (err) {
            await c.query("ROLLBACK").catch(() => undefined);
            throw err;
          }
        });
        for (const [modelUuid, kinds] of touched) this.changes.publish(modelUuid, ...kinds);
        return out;
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS || this.closed) throw err;
        // Another node's transaction won: go again, after a little jitter.
        await sleep(Math.floor(Math.random() * 10 * attempt));
      }
    }
  }

  /** Moves touched models' versions and tells the other nodes, inside the committing transaction. */
  private async recordChanges(c: Connection, touched: Map<string, Set<ModelChangeKind>>): Promise<void> {
    if (!touched.size) return;
    const changed = [...touched].filter(([, kinds]) => [...kinds].some((k) => k !== "log")).map(([m]) => m);
    if (changed.length) {
      await c.query("UPDATE models SET version = nextval('model_versions') WHERE uuid = ANY($1::text[])", [changed]);
    }
    let payload: ChangePayload = { o: this.origin, c: [] };
    let size = 40;
    const flush = async () => {
      if (payload.c.length) await c.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(payload)]);
      payload = { o: this.origin, c: [] };
      size = 40;
    };
    for (const [modelUuid, kinds] of touched) {
      const entry: [string, ...ModelChangeKind[]] = [modelUuid, ...kinds];
      const n = JSON.stringify(entry).length + 1;
      if (size + n > MAX_PAYLOAD) await flush();
      payload.c.push(entry);
      size += n;
    }
    await flush();
  }

  /**
   * Listens for the other nodes' changes for the store's life; `ready` is
   * called once the first LISTEN is in place. Reconnects (and reports that
   * everything may have changed) when the connection drops.
   */
  async listen(ready: () => void): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      const client = new pg.Client({ connectionString: this.url, keepAlive: true });
      try {
        await client.connect();
        client.on("notification", (n) => this.onNotification(n.payload));
        const ended = new Promise<void>((resolve) => {
          client.once("error", (err) => {
            this.opts.log?.warn("store: lost the change feed connection; reconnecting", { error: err.message });
            resolve();
          });
          client.once("end", () => resolve());
        });
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
        // Changes made while we were not listening are unknown: everything counts as changed.
        if (this.listening) this.changes.publishEverything();
        this.listening = true;
        ready();
        delay = 100;
        await ended;
      } catch (err) {
        if (this.closed) break;
        if (!this.listening) {
          // At start: the caller hears of it (the store does not open).
          ready();
          throw err;
        }
        this.opts.log?.warn("store: cannot listen for changes; retrying", { error: (err as Error).message });
      } finally {
        this.listener = undefined;
        await client.end().catch(() => undefined);
      }
      if (this.closed) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }

  private onNotification(payload: string | undefined): void {
    if (!payload) return;
    try {
      const p = JSON.parse(payload) as ChangePayload;
      if (p.o === this.origin) return;
      for (const [modelUuid, ...kinds] of p.c) this.changes.publish(modelUuid, ...kinds);
    } catch {
      // Not ours.
    }
  }

  async openModelSnapshot(modelUuid: string): Promise<ModelSnapshot> {
    if (this.closed) throw new Error("store is closed");
    return this.snapshots.add(await openPostgresSnapshot(this.url, modelUuid));
  }

  backupFile(dir: string): Promise<StoreBackupFile> {
    if (this.closed) throw new Error("store is closed");
    return dumpPostgres(this.url, dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.snapshots.closeAll();
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}

function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function isRetryable(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && RETRY_CODES.has(code);
}

/** Opens the PostgreSQL store at `url`, applying the committed migrations (one node at a time). */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types: PG_TYPES,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its connection must not crash the process.
  pool.on("error", (err) => opts.log?.warn("store: a pooled connection failed", { error: err.message }));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Nodes starting together take turns: the migrator is not safe to run twice at once.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder: migrationsFolder("postgres") });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK]);
    }
  } catch (err) {
    client.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
  client.release();
  const store = new PostgresStore(url, pool, opts);
  // The change feed runs for the store's life; wait for its first LISTEN so no change is missed.
  let failed: unknown;
  await new Promise<void>((resolve) => {
    store.listen(resolve).catch((err: unknown) => {
      failed = err;
      resolve();
    });
  });
  if (failed) {
    await store.close();
    throw new Error(`cannot listen for changes on ${redactUrl(url)}: ${(failed as Error).message}`, { cause: failed });
  }
  return store;
}
