// Raw SQL against a test store's database, from outside the store, on either
// engine: for tests that set up awkward rows or count what is left. Write
// `?` placeholders; they become $1, $2, ... on PostgreSQL.
import Database from "better-sqlite3";
import pg from "pg";
import { PG_TYPES } from "../../src/store/postgres/engine.js";
import type { StoreSpec } from "../../src/store/index.js";

export async function rawQuery<T = Record<string, unknown>>(
  spec: StoreSpec,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (spec.engine === "sqlite") {
    const db = new Database(spec.file);
    try {
      db.pragma("busy_timeout = 5000");
      const stmt = db.prepare(sql);
      return stmt.reader ? (stmt.all(...params) as T[]) : (stmt.run(...params), []);
    } finally {
      db.close();
    }
  }
  let i = 0;
  const text = sql.replace(/\?/g, () => `$${++i}`);
  // bigint as a JS number, as the store reads it.
  const c = new pg.Client({ connectionString: spec.url, types: PG_TYPES });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The first column of the first row, as a number (counts). */
export async function rawCount(spec: StoreSpec, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await rawQuery(spec, sql, params);
  return Number(Object.values(row ?? {})[0] ?? 0);
}
