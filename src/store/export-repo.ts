// Reading one model for a migration export from a consistent snapshot: a
// separate read-only connection on the store file holds one read transaction
// for the export's whole life (WAL gives it a stable view while the
// controller keeps writing), and rows are iterated lazily in raw mode, in
// the column order of the model description (src/domain/description.ts).
// Raw better-sqlite3 statements rather than drizzle: at 100k+ rows drizzle's
// row mapping would cost more than SQLite does.
import Database from "better-sqlite3";
import { ENTITY_SPECS } from "../domain/description.js";

/** Where each description kind lives: table, columns in field order, primary-key order. */
export interface KindTable {
  table: string;
  columns: readonly string[];
  orderBy: string;
}

/** Tables of the description kinds, by kind (shared with the importer). */
export const KIND_TABLES: Readonly<Record<string, KindTable>> = {
  model: {
    table: "models",
    // The format version is prepended by the encoder; the rest follow MODEL_SPEC.
    columns: [
      "uuid",
      "name",
      "owner",
      "cloud",
      "cloud_type",
      "region",
      "agent_version",
      "is_controller",
      "life",
      "config_generation",
      "next_machine_id",
      "next_relation_id",
      "created_at",
    ],
    orderBy: "uuid",
  },
  config: { table: "model_config", columns: ["key", "value"], orderBy: "key" },
  user: { table: "model_users", columns: ["user", "access", "last_connection_at"], orderBy: "user" },
  machine: {
    table: "machines",
    columns: [
      "id",
      "seq",
      "base_name",
      "base_channel",
      "instance_id",
      "dns_name",
      "addresses",
      "hostname",
      "life",
      "agent_status",
      "agent_message",
      "agent_since",
      "instance_status",
      "instance_message",
      "instance_since",
      "password_hash",
      "created_at",
    ],
    orderBy: "id",
  },
  charm: {
    table: "charms",
    columns: ["url", "name", "revision", "source", "metadata", "sha256", "size", "created_at"],
    orderBy: "url",
  },
  application: {
    table: "applications",
    columns: [
      "name",
      "charm_url",
      "exposed",
      "life",
      "base_name",
      "base_channel",
      "next_unit_num",
      "config_generation",
      "created_at",
    ],
    orderBy: "name",
  },
  "application-config": {
    table: "application_config",
    columns: ["application", "key", "value"],
    orderBy: "application, key",
  },
  unit: {
    table: "units",
    columns: [
      "name",
      "application",
      "number",
      "machine_id",
      "life",
      "leader",
      "workload_status",
      "workload_message",
      "workload_since",
      "agent_status",
      "agent_message",
      "agent_since",
      "password_hash",
    ],
    orderBy: "name",
  },
  relation: {
    table: "relations",
    columns: ["id", "key", "interface", "scope", "status", "status_message", "status_since"],
    orderBy: "id",
  },
  "relation-endpoint": {
    table: "relation_endpoints",
    columns: ["relation_id", "application", "endpoint", "role", "interface"],
    orderBy: "relation_id, application, endpoint",
  },
  // (entity, id) is the status_history_entity index order: no sort needed.
  status: { table: "status_history", columns: ["entity", "kind", "status", "message", "since"], orderBy: "entity, id" },
};

for (const s of ENTITY_SPECS) {
  const t = KIND_TABLES[s.kind];
  if (!t || t.columns.length !== s.fields.length)
    throw new Error(`description kind ${s.kind}: table mapping out of date`);
}

export interface CharmBinaryRow {
  url: string;
  size: number;
  sha256: string;
}

/** One model as of one instant. Not shareable between concurrent iterations of itself. */
export interface ModelSnapshot {
  readonly modelUuid: string;
  /** The model line's values (MODEL_SPEC order without "format"). */
  readonly modelValues: readonly unknown[];
  /** Rows of one kind in primary-key order, lazily, as arrays in field order. */
  rows(kind: string): IterableIterator<unknown[]>;
  /** The model's charms (their archives are the binaries). */
  charms(): CharmBinaryRow[];
  /** A charm's archive bytes; undefined when the model has no such charm. */
  charmArchive(url: string): Buffer | undefined;
  /** Ends the read transaction and closes the connection. Idempotent. */
  close(): void;
}

export class ModelNotFoundError extends Error {
  constructor(readonly modelUuid: string) {
    super(`model ${modelUuid} not found`);
    this.name = "ModelNotFoundError";
  }
}

/** Opens a snapshot of `modelUuid` on its own read-only connection to `file`. */
export function openModelSnapshot(file: string, modelUuid: string): ModelSnapshot {
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  try {
    conn.pragma("busy_timeout = 5000");
    conn.exec("BEGIN");
    // The first read pins the WAL snapshot: everything below sees this instant.
    const m = KIND_TABLES.model!;
    const modelValues = conn
      .prepare(`SELECT ${m.columns.join(", ")} FROM models WHERE uuid = ?`)
      .raw()
      .get(modelUuid) as unknown[] | undefined;
    if (!modelValues) throw new ModelNotFoundError(modelUuid);
    const stmts = new Map<string, Database.Statement>();
    for (const s of ENTITY_SPECS) {
      const t = KIND_TABLES[s.kind]!;
      stmts.set(
        s.kind,
        conn.prepare(`SELECT ${t.columns.join(", ")} FROM ${t.table} WHERE model_uuid = ? ORDER BY ${t.orderBy}`).raw(),
      );
    }
    const charmList = conn.prepare("SELECT url, size, sha256 FROM charms WHERE model_uuid = ? ORDER BY url");
    const archive = conn.prepare("SELECT archive FROM charms WHERE model_uuid = ? AND url = ?").pluck();
    return {
      modelUuid,
      modelValues,
      rows: (kind) => {
        const stmt = stmts.get(kind);
        if (!stmt) throw new Error(`unknown description kind ${kind}`);
        return stmt.iterate(modelUuid) as IterableIterator<unknown[]>;
      },
      charms: () => charmList.all(modelUuid) as CharmBinaryRow[],
      charmArchive: (url) => archive.get(modelUuid, url) as Buffer | undefined,
      close: () => {
        if (!conn.open) return;
        try {
          conn.exec("ROLLBACK");
        } finally {
          conn.close();
        }
      },
    };
  } catch (err) {
    conn.close();
    throw err;
  }
}
