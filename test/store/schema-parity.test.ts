// The two engines' schemas are twins: after each engine's committed
// migrations, both databases have the same tables, the same columns with the
// same nullability, the same primary keys and the same indexes (by name, with
// their columns and uniqueness). One set of repositories runs on both, and a
// migration between them moves every column; this fails when they drift.
import { describe, expect, it } from "vitest";
import { openStore, type StoreSpec } from "../../src/store/index.js";
import { rawQuery } from "../helpers/raw-sql.js";
import { freshSpec } from "../helpers/stores.js";
import { postgresAvailable } from "../helpers/postgres.js";

interface Shape {
  tables: Record<
    string,
    {
      columns: Record<string, { nullable: boolean }>;
      primaryKey: string[];
      indexes: Record<string, { columns: string[]; unique: boolean }>;
    }
  >;
}

async function sqliteShape(spec: StoreSpec): Promise<Shape> {
  const q = <T>(sql: string, ...p: unknown[]) => rawQuery<T>(spec, sql, p);
  const tables = await q<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'",
  );
  const shape: Shape = { tables: {} };
  for (const { name } of tables) {
    const cols = await q<{ name: string; notnull: number; pk: number }>(`PRAGMA table_info("${name}")`);
    const indexes: Shape["tables"][string]["indexes"] = {};
    for (const ix of await q<{ name: string; unique: number; origin: string }>(`PRAGMA index_list("${name}")`)) {
      if (ix.origin === "pk") continue;
      const ixCols = await q<{ name: string; seqno: number }>(`PRAGMA index_info("${ix.name}")`);
      indexes[ix.name] = { columns: ixCols.sort((a, b) => a.seqno - b.seqno).map((c) => c.name), unique: !!ix.unique };
    }
    shape.tables[name] = {
      // An INTEGER PRIMARY KEY is never null in SQLite even when the pragma says it could be.
      columns: Object.fromEntries(cols.map((c) => [c.name, { nullable: !c.notnull && !c.pk }])),
      primaryKey: cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      indexes,
    };
  }
  return shape;
}

async function postgresShape(spec: StoreSpec): Promise<Shape> {
  const q = <T>(sql: string, ...p: unknown[]) => rawQuery<T>(spec, sql, p);
  const tables = await q<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const shape: Shape = { tables: {} };
  for (const { table_name: name } of tables) {
    const cols = await q<{ column_name: string; is_nullable: string }>(
      "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?",
      name,
    );
    const ix = await q<{ name: string; unique: boolean; primary: boolean; columns: string[] }>(
      `SELECT c.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
              array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace
        WHERE ns.nspname = 'public' AND t.relname = ?`,
      name,
    );
    const pk = ix.find((i) => i.primary);
    shape.tables[name] = {
      columns: Object.fromEntries(cols.map((c) => [c.column_name, { nullable: c.is_nullable === "YES" }])),
      primaryKey: pk?.columns ?? [],
      indexes: Object.fromEntries(
        ix.filter((i) => !i.primary).map((i) => [i.name, { columns: i.columns, unique: i.unique }]),
      ),
    };
  }
  return shape;
}

async function migrated(engine: "sqlite" | "postgres"): Promise<{ spec: StoreSpec; drop: () => Promise<void> }> {
  const fresh = await freshSpec(engine);
  await (await openStore(fresh.spec)).close();
  return fresh;
}

describe("schema parity", () => {
  it.runIf(postgresAvailable())("the SQLite and PostgreSQL schemas agree after their migrations", async () => {
    const [a, b] = await Promise.all([migrated("sqlite"), migrated("postgres")]);
    try {
      const [lite, pg] = await Promise.all([sqliteShape(a.spec), postgresShape(b.spec)]);
      expect(Object.keys(pg.tables).sort()).toEqual(Object.keys(lite.tables).sort());
      for (const [name, t] of Object.entries(lite.tables)) {
        expect(pg.tables[name], `table ${name}`).toEqual(t);
      }
      expect(Object.keys(lite.tables).length).toBeGreaterThan(20);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
