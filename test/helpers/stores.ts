// Stores for tests, on every engine there is: a fresh SQLite file in a temp
// dir, or (when the shared PostgreSQL cluster runs, see ./postgres.ts) a
// fresh database of its own. Repository and store tests run once per engine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "../../src/cluster/cluster.js";
import { openStore, type Store, type StoreSpec } from "../../src/store/index.js";
import { createDatabase, postgresAvailable } from "./postgres.js";

export type Engine = "sqlite" | "postgres";

/** The engines to run store tests on: SQLite always, PostgreSQL when its server binaries exist (always under CI). */
export const ENGINES: Engine[] = postgresAvailable() ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestStore {
  store: Store;
  spec: StoreSpec;
  /** Opens the same store again (another node, or after a restart). */
  reopen(): Promise<Store>;
  /** Closes the store and removes its data. */
  cleanup(): Promise<void>;
}

/** A store spec with nothing in it yet (for tests that open stores themselves). */
export async function freshSpec(engine: Engine): Promise<{ spec: StoreSpec; drop: () => Promise<void> }> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "ferry-store-"));
    return {
      spec: { engine: "sqlite", file: join(dir, "ferry.db") },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await createDatabase();
  return { spec: { engine: "postgres", url: db.url }, drop: db.drop };
}

export async function openTestStore(engine: Engine): Promise<TestStore> {
  const { spec, drop } = await freshSpec(engine);
  const opened: Store[] = [];
  const open = async () => {
    const s = await openStore(spec);
    opened.push(s);
    return s;
  };
  const store = await open();
  return {
    store,
    spec,
    reopen: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
      await drop();
    },
  };
}

/** A node of its own on `store` (leases for simulators and workers in in-process tests); stop it at the end. */
export async function startTestNode(
  store: Store,
  opts: { leaseTtlMs?: number; dataDir?: string } = {},
): Promise<Cluster> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "ferry-node-"));
  const node = new Cluster({
    store,
    dataDir,
    version: "1.0.0",
    leaseTtlMs: opts.leaseTtlMs,
    log: { info() {}, warn() {} },
  });
  await node.start([]);
  return node;
}
