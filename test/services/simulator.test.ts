import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createChangeHub } from "../../src/services/changes.js";
import { createSimulator, step } from "../../src/services/simulator.js";
import { openStore, type Store } from "../../src/store/db.js";
import { insertMachines, listMachines } from "../../src/store/machine-repo.js";
import { createModelRow, deleteModelData } from "../../src/store/model-repo.js";
import { models } from "../../src/store/schema.js";
import { waitFor } from "./model-harness.js";

let dir: string;
let file: string;
let store: Store;
const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-sim-"));
  file = join(dir, "store.db");
  store = openStore(file);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function modelWithMachines(n: number): string {
  return store.tx((db) => {
    const m = createModelRow(db, { ...base, name: "m", owner: "alice" });
    insertMachines(db, m.uuid, n, { name: "ubuntu", channel: "24.04" }, Date.now());
    return m.uuid;
  });
}

describe("simulator", () => {
  it("finishes pending work after a restart (resume)", async () => {
    const uuid = modelWithMachines(2);
    store.close(); // the controller stopped before provisioning
    store = openStore(file);
    const changes = createChangeHub();
    const kinds: string[] = [];
    changes.subscribe(uuid, (c) => kinds.push(...c.kinds));
    const sim = createSimulator({ store, changes, delayMs: 1 });
    sim.resume();
    await waitFor(async () => listMachines(store.db, uuid).every((m) => m.agentStatus === "started"));
    sim.stop();
    expect(kinds).toContain("status");
    const m = listMachines(store.db, uuid)[0]!;
    expect(m).toMatchObject({ instanceStatus: "running", hostname: expect.stringMatching(/^ferry-/) });
  });

  it("writes nothing after stop", async () => {
    const uuid = modelWithMachines(1);
    const sim = createSimulator({ store, changes: createChangeHub(), delayMs: 20 });
    sim.schedule(uuid);
    sim.stop();
    sim.schedule(uuid);
    await new Promise((r) => setTimeout(r, 60));
    expect(listMachines(store.db, uuid)[0]!.agentStatus).toBe("pending");
  });

  it("copes with the model being deleted or frozen by a migration", async () => {
    const uuid = modelWithMachines(1);
    store.db.update(models).set({ migrationMode: "exporting" }).where(eq(models.uuid, uuid)).run();
    expect(store.tx((db) => step(db, uuid, Date.now()))).toBe(false);
    store.db.update(models).set({ migrationMode: "none" }).where(eq(models.uuid, uuid)).run();
    const sim = createSimulator({ store, changes: createChangeHub(), delayMs: 10 });
    sim.schedule(uuid);
    store.tx((db) => deleteModelData(db, uuid));
    await new Promise((r) => setTimeout(r, 40));
    expect(store.tx((db) => step(db, uuid, Date.now()))).toBe(false);
    sim.stop();
  });
});
