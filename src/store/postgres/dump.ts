// Backups of a PostgreSQL store: a logical dump of the controller's tables,
// read in one REPEATABLE READ READ ONLY transaction (one consistent state
// while the nodes keep writing) through cursors, written as NDJSON (a header
// line, then per table a line naming its columns followed by one JSON array
// per row; bytea as base64; the model version sequence at the end). It
// carries the controller's CA and keys (controller_secrets), so it is
// written 0600. Restore loads it into an empty database after the migrations,
// in one transaction. Node-local state is left out: which nodes run, their
// leases and the agents connected to them.
import { createReadStream, createWriteStream } from "node:fs";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import pg from "pg";
import Cursor from "pg-cursor";
import { LineSplitter } from "../../domain/description.js";
import type { StoreBackupFile } from "../store.js";
import { PG_TYPES } from "./engine.js";
import { DUMP_FILE } from "../../util/backup-archive.js";

const DUMP_FORMAT = "ferry-store-dump/1";

/** Tables in load order (a model before what references it); any other table follows. */
const ORDER = [
  "controller",
  "controller_secrets",
  "users",
  "tokens",
  "models",
  "model_users",
  "model_config",
  "machines",
  "charms",
  "applications",
  "application_config",
  "units",
  "relations",
  "relation_endpoints",
  "status_history",
  "log_entries",
  "migrations",
  "migration_minion_reports",
  "model_redirects",
  "log_transfers",
];
/** Node-local state: a restored controller starts with its own nodes. */
const LEFT_OUT = new Set(["controller_nodes", "leases", "agent_presence"]);
const BATCH = 1000;

interface TableHeader {
  table: string;
  columns: string[];
  /** Columns whose values are base64 (bytea). */
  bytea: string[];
}

interface DumpHeader {
  format: string;
  engine: "postgres";
  createdAt: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function tablesOf(c: pg.Client): Promise<TableHeader[]> {
  const rows = (
    await c.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    )
  ).rows;
  const byTable = new Map<string, TableHeader>();
  for (const r of rows) {
    if (LEFT_OUT.has(r.table_name)) continue;
    let t = byTable.get(r.table_name);
    if (!t) byTable.set(r.table_name, (t = { table: r.table_name, columns: [], bytea: [] }));
    t.columns.push(r.column_name);
    if (r.data_type === "bytea") t.bytea.push(r.column_name);
  }
  const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return [...byTable.values()].sort((a, b) => rank(a.table) - rank(b.table) || a.table.localeCompare(b.table));
}

/** Writes a consistent dump of the store at `url` into `dir`. */
export async function dumpPostgres(url: string, dir: string): Promise<StoreBackupFile> {
  const path = join(dir, `.backup-${randomBytes(6).toString("hex")}.ndjson`);
  const c = new pg.Client({ connectionString: url, types: PG_TYPES });
  await c.connect();
  const out = createWriteStream(path, { mode: 0o600, flags: "wx" });
  const write = async (doc: unknown) => {
    if (!out.write(JSON.stringify(doc) + "\n")) await once(out, "drain");
  };
  let modelCount = 0;
  try {
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const header: DumpHeader = { format: DUMP_FORMAT, engine: "postgres", createdAt: new Date().toISOString() };
    await write(header);
    for (const t of await tablesOf(c)) {
      await write(t);
      const bytea = t.bytea.map((b) => t.columns.indexOf(b));
      const cursor = c.query(
        new Cursor<unknown[]>(`SELECT ${t.columns.map(ident).join(", ")} FROM ${ident(t.table)}`, [], {
          rowMode: "array",
        }),
      );
      try {
        for (;;) {
          const batch = await cursor.read(BATCH);
          if (!batch.length) break;
          for (const row of batch) {
            for (const i of bytea) if (row[i] != null) row[i] = (row[i] as Buffer).toString("base64");
            await write(row);
          }
          if (t.table === "models") modelCount += batch.length;
        }
      } finally {
        await cursor.close();
      }
    }
    const seq = await c.query<{ last_value: number; is_called: boolean }>(
      "SELECT last_value, is_called FROM model_versions",
    );
    await write({ sequence: "model_versions", value: seq.rows[0]?.is_called ? seq.rows[0].last_value : 0 });
    await write({ end: true });
    await c.query("COMMIT");
  } finally {
    out.end();
    await once(out, "close");
    await c.end().catch(() => undefined);
  }
  return { name: DUMP_FILE, path, modelCount };
}

/** Why a dump cannot be restored. */
export class DumpError extends Error {}

/**
 * Loads a dump into the store at `url`, whose schema must be migrated already
 * and which must hold no controller: all rows in one transaction, then the
 * sequences moved past them. Returns the number of models loaded.
 */
export async function restorePostgres(url: string, file: string): Promise<{ models: number; rows: number }> {
  const c = new pg.Client({ connectionString: url, types: PG_TYPES });
  await c.connect();
  // A row line can be as long as the biggest charm archive in base64 (64 MiB -> ~86 MiB).
  const splitter = new LineSplitter(128 * 1024 * 1024);
  async function* lines(): AsyncGenerator<string> {
    for await (const chunk of createReadStream(file)) yield* splitter.push(chunk as Buffer);
  }
  let table: TableHeader | undefined;
  let bytea: number[] = [];
  let pending: unknown[][] = [];
  let rows = 0;
  let models = 0;
  let ended = false;
  const flush = async () => {
    if (!table || !pending.length) return;
    const values: unknown[] = [];
    const tuples = pending.map((r) => {
      const start = values.length;
      values.push(...r);
      return `(${r.map((_, j) => `$${start + j + 1}`).join(", ")})`;
    });
    await c.query(
      `INSERT INTO ${ident(table.table)} (${table.columns.map(ident).join(", ")}) VALUES ${tuples.join(", ")}`,
      values,
    );
    pending = [];
  };
  try {
    await c.query("BEGIN");
    const existing = await c.query<{ n: number }>("SELECT count(*)::int8 AS n FROM controller");
    if (existing.rows[0]!.n > 0) {
      throw new DumpError("the database already holds a controller: restore into an empty database");
    }
    let first = true;
    for await (const line of lines()) {
      if (!line) continue;
      const doc = JSON.parse(line) as unknown;
      if (first) {
        first = false;
        const h = doc as Partial<DumpHeader>;
        if (h.format !== DUMP_FORMAT)
          throw new DumpError(`not a Ferry store dump (format ${JSON.stringify(h.format)})`);
        continue;
      }
      if (Array.isArray(doc)) {
        if (!table) throw new DumpError("the dump has rows before any table");
        for (const i of bytea) if (doc[i] != null) doc[i] = Buffer.from(String(doc[i]), "base64");
        pending.push(doc);
        rows++;
        if (table.table === "models") models++;
        // Keep each statement under the protocol's 65535 parameters.
        if (pending.length * table.columns.length >= 30_000 || pending.length >= BATCH) await flush();
        continue;
      }
      const d = doc as Partial<TableHeader> & { sequence?: string; value?: number; end?: boolean };
      await flush();
      if (d.table) {
        table = { table: d.table, columns: d.columns ?? [], bytea: d.bytea ?? [] };
        bytea = table.bytea.map((b) => table!.columns.indexOf(b));
      } else if (d.sequence === "model_versions") {
        if ((d.value ?? 0) > 0) await c.query("SELECT setval('model_versions', $1)", [d.value]);
      } else if (d.end) {
        ended = true;
      }
    }
    if (!ended) throw new DumpError("the dump is truncated (no end marker)");
    // Serial ids go on after the restored rows.
    for (const [t, col] of [
      ["status_history", "id"],
      ["log_entries", "seq"],
    ] as const) {
      await c.query(
        `SELECT setval(pg_get_serial_sequence('${t}', '${col}'), coalesce((SELECT max(${ident(col)}) FROM ${ident(t)}), 0) + 1, false)`,
      );
    }
    await c.query("COMMIT");
    return { models, rows };
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
}
