// vitest global setup: one PostgreSQL cluster for the whole run (each test
// takes a database of its own, ./postgres.ts). Without server binaries the
// PostgreSQL tests skip locally; under CI (CI=true) that is a failure.
// The workers inherit the cluster's URL through FERRY_TEST_PG_URL.
import { pgBinDir, startPgCluster, type PgCluster } from "./postgres-cluster.js";

let cluster: PgCluster | undefined;

export async function setup(): Promise<void> {
  const inCI = !!process.env.CI && process.env.CI !== "false";
  if (process.env.FERRY_TEST_PG_URL) return; // a server the caller runs
  if (!pgBinDir()) {
    if (inCI) throw new Error("CI: PostgreSQL server binaries are missing (.ci/run installs the postgresql package)");
    return;
  }
  cluster = await startPgCluster();
  process.env.FERRY_TEST_PG_URL = cluster.adminUrl;
}

export function teardown(): void {
  cluster?.stop();
}
