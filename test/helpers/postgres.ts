// Databases on the run's shared PostgreSQL cluster (./postgres-global.ts):
// each test store, controller or migration endpoint gets a database of its
// own, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The cluster's admin URL (FERRY_TEST_PG_URL, set by the global setup), or "" when PostgreSQL is not available. */
export function pgAdminUrl(): string {
  return process.env.FERRY_TEST_PG_URL ?? "";
}

export function postgresAvailable(): boolean {
  return pgAdminUrl() !== "";
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database named `<prefix>_<random>` on the server at `base` (default: the run's cluster). */
export async function createDatabase(prefix = "ferry_t", base = pgAdminUrl()): Promise<TestDatabase> {
  if (!base) throw new Error("PostgreSQL is not available in this test run");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await admin(base, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      admin(base, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
