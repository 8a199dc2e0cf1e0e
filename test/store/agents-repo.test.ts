// The agents' repository on every engine: workload reports stored in order
// and once per sequence number, agent links and who is silent.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtinCharm } from "../../src/domain/charm-samples.js";
import { storedMetadata } from "../../src/domain/charms.js";
import type { Store } from "../../src/store/index.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

describe.each(ENGINES)("agents repository on %s", (engine) => {
  let t: TestStore;
  let store: Store;
  let uuid: string;

  beforeEach(async () => {
    t = await openTestStore(engine);
    store = t.store;
    const pg = builtinCharm("postgresql")!;
    uuid = await store.write(async (tx) => {
      const m = await tx.models.create({ ...base, name: "m", owner: "admin" });
      const machines = await tx.machines.insert(m.uuid, 1, { name: "ubuntu", channel: "24.04" }, 1000);
      await tx.charms.insert({
        modelUuid: m.uuid,
        url: pg.url,
        name: "postgresql",
        revision: pg.revision,
        source: "builtin",
        metadata: JSON.stringify(storedMetadata(pg.meta)),
        sha256: pg.sha256,
        size: pg.size,
        archive: Buffer.from(pg.archive),
        createdAt: 1000,
      });
      await tx.applications.insert(
        m.uuid,
        { name: "db", charmUrl: pg.url, base: { name: "ubuntu", channel: "24.04" }, config: {} },
        1000,
      );
      await tx.units.insert(m.uuid, "db", [machines[0]!.id], 1000);
      return m.uuid;
    });
  });

  afterEach(async () => {
    await t.cleanup();
  });

  const reports = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, counter: from + i, time: 5000 + from + i }));

  it("stores each report once, in order, and keeps the last as the unit's", async () => {
    expect(await store.write((tx) => tx.agents.recordWorkload(uuid, "db/0", reports(1, 3)))).toBe(3);
    // A resend overlapping what is stored: only the new ones are added.
    expect(await store.write((tx) => tx.agents.recordWorkload(uuid, "db/0", reports(2, 5)))).toBe(5);
    expect(await store.write((tx) => tx.agents.recordWorkload(uuid, "db/0", reports(1, 2)))).toBe(5);
    expect(await store.write((tx) => tx.agents.recordWorkload(uuid, "db/nope", reports(1, 1)))).toBeUndefined();
    await store.read(async (tx) => {
      const u = (await tx.units.find(uuid, "db/0"))!;
      expect([u.workloadSeq, u.workloadCounter, u.workloadAt]).toEqual([5, 5, 5005]);
      const page = await tx.status.page(uuid, "unit-db-0", { kinds: ["report"], limit: 100, beforeId: 0 });
      expect(page.rows.map((r) => r.seq)).toEqual([5, 4, 3, 2, 1]);
      expect(page.rows[0]).toMatchObject({ kind: "report", since: 5005, message: "workload report 5: counter 5" });
      const older = await tx.status.page(uuid, "unit-db-0", {
        kinds: ["report"],
        limit: 2,
        beforeId: page.rows[1]!.id,
      });
      expect(older.rows.map((r) => r.seq)).toEqual([3, 2]);
      expect(older.more).toBe(true);
    });
  });

  it("links agents to the node serving them and finds the silent ones", async () => {
    const now = await store.read((tx) => tx.nodes.clock());
    await store.write(async (tx) => {
      await tx.nodes.register({
        id: "n1",
        incarnation: "i",
        addresses: ["127.0.0.1:1"],
        version: "1",
        hostname: "h",
        pid: 1,
      });
      await tx.machines.setStatus(uuid, "0", "agent", { status: "started" }, now);
      await tx.units.setStatus(uuid, "db/0", "agent", { status: "idle" }, now);
      await tx.agents.link({
        modelUuid: uuid,
        tag: "machine-0",
        nodeId: "n1",
        address: "127.0.0.1:1",
        now: now - 60_000,
      });
      await tx.agents.link({
        modelUuid: uuid,
        tag: "unit-db-0",
        nodeId: "n1",
        address: "127.0.0.1:1",
        now: now - 60_000,
      });
      await tx.agents.connect({ id: "p1", modelUuid: uuid, tag: "machine-0", nodeId: "n1", now });
    });
    await store.read(async (tx) => {
      expect(await tx.agents.linkedModels()).toEqual([uuid]);
      const links = await tx.agents.links(uuid, now - 10_000);
      expect(links.map((l) => [l.tag, l.connected, l.address])).toEqual(
        expect.arrayContaining([
          ["machine-0", true, "127.0.0.1:1"],
          ["unit-db-0", false, "127.0.0.1:1"],
        ]),
      );
      // Connected agents are never silent; the unit, not heard from for a minute, is.
      expect(await tx.agents.silent(uuid, now - 10_000, now - 10_000)).toEqual({ machines: [], units: ["db/0"] });
      expect(await tx.agents.silent(uuid, now - 120_000, now - 10_000)).toEqual({ machines: [], units: [] });
    });
  });
});
