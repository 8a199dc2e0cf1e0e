// `--store postgres` for the benches: a PostgreSQL database to run ferryd on,
// either the URL given (--store postgres://user@host:port/db; the bench uses
// databases of its own on that server and drops them at the end) or a
// throwaway cluster the bench starts itself and removes (--store postgres).
import { startPgCluster, type PgCluster } from "../../test/helpers/postgres-cluster.js";
import { createDatabase, type TestDatabase } from "../../test/helpers/postgres.js";

export interface BenchPostgres {
  /** A new, empty database on the server, for one controller. */
  database(name: string): Promise<string>;
  /** Drops the bench's databases (or the whole throwaway cluster). */
  stop(): Promise<void>;
}

/** The value of --store: undefined (SQLite only), "postgres" or a URL. */
export function storeArg(args: string[]): string | undefined {
  const i = args.indexOf("--store");
  return i >= 0 ? args[i + 1] : undefined;
}

export async function benchPostgres(arg: string): Promise<BenchPostgres> {
  let cluster: PgCluster | undefined;
  let admin: string;
  if (arg === "postgres") {
    cluster = await startPgCluster();
    admin = cluster.adminUrl;
  } else if (/^postgres(ql)?:\/\//.test(arg)) {
    admin = arg;
  } else {
    throw new Error(`--store ${arg}: want "postgres" (start a throwaway server) or a postgres:// URL`);
  }
  const created: TestDatabase[] = [];
  return {
    async database(name) {
      const db = await createDatabase(`ferry_bench_${name.replace(/[^a-z0-9]/g, "_")}`, admin);
      created.push(db);
      return db.url;
    },
    async stop() {
      if (cluster) return cluster.stop();
      for (const db of created.splice(0)) await db.drop();
    },
  };
}
