// Reading one model for a migration export on PostgreSQL: a connection of its
// own holds one REPEATABLE READ READ ONLY transaction for the export's whole
// life (every query sees the instant of the first), and rows come through a
// cursor a batch at a time, in the column order of the model description:
// nothing is buffered whole, whatever the model's size.
import pg from "pg";
import Cursor from "pg-cursor";
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
import { PG_TYPES } from "./engine.js";

export async function openPostgresSnapshot(url: string, modelUuid: string): Promise<ModelSnapshot> {
  const conn = new pg.Client({ connectionString: url, types: PG_TYPES, keepAlive: true });
  await conn.connect();
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    try {
      await conn.query("ROLLBACK");
    } catch {
      // The connection may be gone already.
    } finally {
      await conn.end().catch(() => undefined);
    }
  };
  try {
    await conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const m = KIND_TABLES.model!;
    const first = await conn.query({
      text: `SELECT ${m.columns.map(quoted).join(", ")} FROM models WHERE uuid = $1`,
      values: [modelUuid],
      rowMode: "array",
    });
    const modelValues = first.rows[0] as unknown[] | undefined;
    if (!modelValues) throw new ModelNotFoundError(modelUuid);
    const queries = new Map<string, string>();
    for (const s of ENTITY_SPECS) queries.set(s.kind, kindSelect(s.kind, "$1"));
    return {
      modelUuid,
      modelValues,
      async *rows(kind) {
        const text = queries.get(kind);
        if (!text) throw new Error(`unknown description kind ${kind}`);
        const cursor = conn.query(new Cursor<unknown[]>(text, [modelUuid], { rowMode: "array" }));
        try {
          for (;;) {
            const batch = await cursor.read(SNAPSHOT_BATCH);
            if (!batch.length) return;
            yield batch;
          }
        } finally {
          await cursor.close().catch(() => undefined);
        }
      },
      charms: async () =>
        (
          await conn.query<CharmBinaryRow>("SELECT url, size, sha256 FROM charms WHERE model_uuid = $1 ORDER BY url", [
            modelUuid,
          ])
        ).rows,
      charmArchive: async (url) =>
        (
          await conn.query<{ archive: Buffer }>("SELECT archive FROM charms WHERE model_uuid = $1 AND url = $2", [
            modelUuid,
            url,
          ])
        ).rows[0]?.archive,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
