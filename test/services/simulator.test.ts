import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSimulator, step } from "../../src/services/simulator.js";
import type { Store } from "../../src/store/index.js";
import type { Cluster } from "../../src/cluster/cluster.js";
import { ENGINES, openTestStore, startTestNode, type TestStore } from "../helpers/stores.js";
import { waitFor } from "./model-harness.js";

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

describe.each(ENGINES)("simulator on %s", (engine) => {
  let t: TestStore;
  let store: Store;
  let node: Cluster;
  beforeEach(async () => {
    t = await openTestStore(engine);
    store = t.store;
    node = await startTestNode(store);
  });
  afterEach(async () => {
    await node.stop();
    await t.cleanup();
  });

  const modelWithMachines = (n: number) =>
    store.write(async (tx) => {
      const m = await tx.models.create({ ...base, name: "m", owner: "alice" });
      await tx.machines.insert(m.uuid, n, { name: "ubuntu", channel: "24.04" }, Date.now());
      return m.uuid;
    });
  const machines = (uuid: string) => store.read((tx) => tx.machines.list(uuid));

  it("finishes pending work after a restart (resume)", async () => {
    const uuid = await modelWithMachines(2);
    await node.stop(); // the controller stopped before provisioning
    await store.close();
    store = await t.reopen();
    node = await startTestNode(store);
    const kinds: string[] = [];
    store.changes.subscribe(uuid, (c) => kinds.push(...c.kinds));
    const sim = createSimulator({ store, leases: node, delayMs: 1 });
    await sim.resume();
    await waitFor(async () => (await machines(uuid)).every((m) => m.agentStatus === "started"));
    sim.stop();
    expect(kinds).toContain("status");
    const m = (await machines(uuid))[0]!;
    expect(m).toMatchObject({ instanceStatus: "running", hostname: expect.stringMatching(/^ferry-/) });
  });

  it("writes nothing after stop", async () => {
    const uuid = await modelWithMachines(1);
    const sim = createSimulator({ store, leases: node, delayMs: 20 });
    sim.schedule(uuid);
    sim.stop();
    sim.schedule(uuid);
    await new Promise((r) => setTimeout(r, 60));
    expect((await machines(uuid))[0]!.agentStatus).toBe("pending");
  });

  it("copes with the model being deleted or frozen by a migration", async () => {
    const uuid = await modelWithMachines(1);
    await store.write((tx) => tx.models.setMigrationMode(uuid, "exporting"));
    expect(await store.write((tx) => step(tx, uuid, Date.now()))).toBe(false);
    await store.write((tx) => tx.models.setMigrationMode(uuid, "none"));
    const sim = createSimulator({ store, leases: node, delayMs: 10 });
    sim.schedule(uuid);
    await store.write((tx) => tx.models.deleteAll(uuid));
    await new Promise((r) => setTimeout(r, 40));
    expect(await store.write((tx) => step(tx, uuid, Date.now()))).toBe(false);
    sim.stop();
  });
});
