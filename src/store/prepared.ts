// Prepared queries for the hot read paths (auth, model lookup, status).
// Building a drizzle query costs far more than running it against SQLite, so
// each hot query is built once per connection, with sql.placeholder()
// parameters, and reused.
import type { Db } from "./db.js";

const cache = new WeakMap<Db, Map<string, unknown>>();

/** The query `build` makes for `db`, built on first use and cached under `key`. */
export function prepared<T>(db: Db, key: string, build: (db: Db) => T): T {
  let byKey = cache.get(db);
  if (!byKey) cache.set(db, (byKey = new Map()));
  let q = byKey.get(key) as T | undefined;
  if (q === undefined) byKey.set(key, (q = build(db)));
  return q;
}
