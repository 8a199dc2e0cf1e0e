// Reading one model for a migration export from a consistent snapshot: a
// read-only connection of its own on the store file holds one read
// transaction for the export's whole life (WAL gives it a stable view while
// the controller keeps writing), and rows are iterated lazily in raw mode, in
// the column order of the model description. Raw statements rather than
// drizzle: at 100k+ rows drizzle's row mapping would cost more than SQLite does.
import Database from "better-sqlite3";
import { ENTITY_SPECS } from "../../domain/description.js";
import {
  KIND_TABLES,
  kindSelect,
  ModelNotFoundError,
  quoted,
  SNAPSHOT_BATCH,
  type CharmBinaryRow,
  type ModelSnapshot,
} from "../model-tables.js";

export function openSqliteSnapshot(file: string, modelUuid: string): ModelSnapshot {
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  try {
    conn.pragma("busy_timeout = 5000");
    conn.exec("BEGIN");
    // The first read pins the WAL snapshot: everything below sees this instant.
    const m = KIND_TABLES.model!;
    const modelValues = conn
      .prepare(`SELECT ${m.columns.map(quoted).join(", ")} FROM models WHERE uuid = ?`)
      .raw()
      .get(modelUuid) as unknown[] | undefined;
    if (!modelValues) throw new ModelNotFoundError(modelUuid);
    const stmts = new Map<string, Database.Statement>();
    for (const s of ENTITY_SPECS) stmts.set(s.kind, conn.prepare(kindSelect(s.kind, "?")).raw());
    const charmList = conn.prepare("SELECT url, size, sha256 FROM charms WHERE model_uuid = ? ORDER BY url");
    const archive = conn.prepare("SELECT archive FROM charms WHERE model_uuid = ? AND url = ?").pluck();
    return {
      modelUuid,
      modelValues,
      async *rows(kind) {
        const stmt = stmts.get(kind);
        if (!stmt) throw new Error(`unknown description kind ${kind}`);
        const it = stmt.iterate(modelUuid) as IterableIterator<unknown[]>;
        try {
          let batch: unknown[][] = [];
          for (const row of it) {
            batch.push(row);
            if (batch.length >= SNAPSHOT_BATCH) {
              yield batch;
              batch = [];
            }
          }
          if (batch.length) yield batch;
        } finally {
          // An iteration given up half-way must release the statement.
          it.return?.();
        }
      },
      charms: async () => charmList.all(modelUuid) as CharmBinaryRow[],
      charmArchive: async (url) => archive.get(modelUuid, url) as Buffer | undefined,
      close: async () => {
        if (!conn.open) return;
        try {
          if (conn.inTransaction) conn.exec("ROLLBACK");
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
