// The repositories on every engine: models, their contents, paging, deletion
// and the log. The same suite runs on SQLite and on PostgreSQL.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtinCharm } from "../../src/domain/charm-samples.js";
import { storedMetadata } from "../../src/domain/charms.js";
import { isUniqueViolation, type ModelPageQuery, type Store } from "../../src/store/index.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

describe.each(ENGINES)("repositories on %s", (engine) => {
  let t: TestStore;
  let store: Store;

  beforeEach(async () => {
    t = await openTestStore(engine);
    store = t.store;
  });

  afterEach(async () => {
    await t.cleanup();
  });

  describe("models.create", () => {
    it("creates the model with its owner as admin, config, first status and a log entry", async () => {
      const m = await store.write((tx) =>
        tx.models.create({ ...base, name: "controller", owner: "admin", isController: true, config: { "x-y": "1" } }),
      );
      expect(m).toMatchObject({
        name: "controller",
        owner: "admin",
        isController: true,
        life: "alive",
        status: "available",
      });
      await store.read(async (tx) => {
        expect(await tx.models.users(m.uuid)).toMatchObject([{ user: "admin", access: "admin" }]);
        expect(await tx.models.config(m.uuid)).toEqual({ "x-y": "1" });
        expect(await tx.status.history(m.uuid, "model")).toMatchObject([{ status: "available" }]);
        expect(await tx.logs.read(m.uuid)).toMatchObject([{ entity: "model", level: "INFO" }]);
        expect(await tx.models.controllerModelUuid()).toBe(m.uuid);
      });
    });

    it("refuses a second model with the same owner and name, leaving nothing of the failed write", async () => {
      await store.write((tx) => tx.models.create({ ...base, name: "m", owner: "alice" }));
      const err = await store
        .write((tx) => tx.models.create({ ...base, name: "m", owner: "alice" }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isUniqueViolation(err)).toBe(true);
      expect(await store.read((tx) => tx.models.count())).toBe(1);
    });

    it("moves the model's version on every committed change, and only then", async () => {
      const m = await store.write((tx) => tx.models.create({ ...base, name: "m", owner: "alice" }));
      const v1 = (await store.read((tx) => tx.models.byUuid(m.uuid)))!.version;
      await store.write((tx) => tx.machines.insert(m.uuid, 1, { name: "ubuntu", channel: "24.04" }, 1));
      const v2 = (await store.read((tx) => tx.models.byUuid(m.uuid)))!.version;
      expect(v2).toBeGreaterThan(v1);
      await store
        .write(async (tx) => {
          await tx.machines.insert(m.uuid, 1, { name: "ubuntu", channel: "24.04" }, 1);
          throw new Error("changed my mind");
        })
        .catch(() => undefined);
      expect((await store.read((tx) => tx.models.byUuid(m.uuid)))!.version).toBe(v2);
      // A log entry alone is not something status shows: the version stands.
      await store.write((tx) => tx.logs.append(m.uuid, { entity: "model", level: "INFO", module: "t", message: "x" }));
      expect((await store.read((tx) => tx.models.byUuid(m.uuid)))!.version).toBe(v2);
    });
  });

  describe("models.listPage", () => {
    it("pages by owner and name, only shared models unless all", async () => {
      const made: { uuid: string }[] = [];
      for (const s of ["bob/b", "alice/z", "alice/a", "carol/c", "alice/A-1"]) {
        const [owner, name] = s.split("/") as [string, string];
        made.push(await store.write((tx) => tx.models.create({ ...base, name, owner })));
      }
      await store.write((tx) => tx.models.setAccess(made[0]!.uuid, "alice", "read"));
      const names = (rows: { owner: string; name: string }[]) => rows.map((r) => `${r.owner}/${r.name}`);
      const page = (q: ModelPageQuery) => store.read((tx) => tx.models.listPage(q));
      // Bytewise order on both engines: "A-1" before "a".
      expect(names(await page({ user: "alice", all: false, limit: 10 }))).toEqual([
        "alice/A-1",
        "alice/a",
        "alice/z",
        "bob/b",
      ]);
      expect(names(await page({ user: "x", all: true, limit: 2 }))).toEqual(["alice/A-1", "alice/a", "alice/z"]);
      expect(names(await page({ user: "x", all: true, limit: 2, after: { owner: "alice", name: "z" } }))).toEqual([
        "bob/b",
        "carol/c",
      ]);
      await store.write((tx) => tx.models.setMigrationMode(made[3]!.uuid, "importing"));
      expect(names(await page({ user: "x", all: true, limit: 10 }))).not.toContain("carol/c");
    });
  });

  describe("model contents", () => {
    it("counts, snapshots and deletes everything in one go", async () => {
      const m = await store.write((tx) => tx.models.create({ ...base, name: "m", owner: "alice" }));
      const other = await store.write((tx) => tx.models.create({ ...base, name: "other", owner: "alice" }));
      const pg = builtinCharm("postgresql")!;
      await store.write(async (tx) => {
        const machines = await tx.machines.insert(m.uuid, 2, { name: "ubuntu", channel: "24.04" }, 1000);
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
          { name: "postgresql", charmUrl: pg.url, base: { name: "ubuntu", channel: "24.04" }, config: { port: "1" } },
          1000,
        );
        await tx.units.insert(
          m.uuid,
          "postgresql",
          machines.map((x) => x.id),
          1000,
        );
        await tx.relations.insert(
          m.uuid,
          [{ ...pg.meta.endpoints.find((e) => e.role === "peer")!, application: "postgresql" }],
          1000,
        );
        expect(await tx.models.replaceConfig(m.uuid, { "default-base": "ubuntu@22.04" })).toBe(1);
        await tx.machines.setStatus(m.uuid, "0", "agent", { status: "started" }, 2000);
      });
      await store.read(async (tx) => {
        expect((await tx.models.counts([m.uuid, other.uuid])).get(m.uuid)).toEqual({ machines: 2, units: 2 });
        expect((await tx.units.list(m.uuid)).map((u) => [u.name, u.leader])).toEqual([
          ["postgresql/0", true],
          ["postgresql/1", false],
        ]);
        expect(Buffer.from((await tx.charms.archive(m.uuid, pg.url))!)).toEqual(Buffer.from(pg.archive));
        expect(await tx.charms.missingArchives(m.uuid)).toEqual([]);
        const snap = (await tx.status.snapshot(m.uuid))!;
        expect(snap.machines.map((x) => x.agentStatus)).toEqual(["started", "pending"]);
        expect(snap.relations).toMatchObject([{ id: 0, key: "postgresql:replicas", endpoints: [{ role: "peer" }] }]);
        expect((await tx.status.history(m.uuid, "machine-0")).map((h) => h.status)).toEqual([
          "pending",
          "pending",
          "started",
        ]);
        expect(await tx.applications.config(m.uuid, "postgresql")).toEqual({ port: "1" });
        expect((await tx.models.byUuid(m.uuid))!.nextMachineId).toBe(2);
        // A unit whose machine started waits for its agent, not for the machine; the other still waits.
        expect((await tx.units.list(m.uuid)).map((u) => [u.name, u.workloadStatus, u.workloadMessage])).toEqual([
          ["postgresql/0", "waiting", "agent initialising"],
          ["postgresql/1", "waiting", "waiting for machine"],
        ]);
      });
      // A unit placed on a machine that is already started never says "waiting for machine".
      await store.write((tx) => tx.units.insert(m.uuid, "postgresql", ["0"], 3000));
      await store.read(async (tx) => {
        expect((await tx.units.find(m.uuid, "postgresql/2"))?.workloadMessage).toBe("agent initialising");
      });

      await store.write((tx) => tx.models.deleteAll(m.uuid));
      await store.read(async (tx) => {
        expect(await tx.status.snapshot(m.uuid)).toBeUndefined();
        expect((await tx.models.counts([m.uuid])).get(m.uuid)).toEqual({ machines: 0, units: 0 });
        expect(await tx.models.users(m.uuid)).toEqual([]);
        expect(await tx.models.config(m.uuid)).toEqual({});
        expect(await tx.logs.read(m.uuid)).toEqual([]);
        expect(await tx.status.history(m.uuid, "machine-0")).toEqual([]);
        expect(await tx.charms.listInfos(m.uuid)).toEqual([]);
        expect(await tx.applications.list(m.uuid)).toEqual([]);
        expect(await tx.relations.list(m.uuid)).toEqual([]);
        // The other model is untouched.
        expect(await tx.models.users(other.uuid)).toHaveLength(1);
      });
    });
  });

  describe("log entries", () => {
    it("reads after a seq, the last N, and by level", async () => {
      const m = await store.write((tx) => tx.models.create({ ...base, name: "m", owner: "alice", now: 1 }));
      const seqs: number[] = [];
      for (const [i, level] of ["DEBUG", "INFO", "WARNING", "ERROR", "INFO"].entries()) {
        seqs.push(
          await store.write((tx) =>
            tx.logs.append(m.uuid, {
              entity: "model",
              level: level as "INFO",
              module: "t",
              message: `m${i}`,
              time: 10 + i,
            }),
          ),
        );
      }
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const msgs = (rows: { message: string }[]) => rows.map((r) => r.message);
      await store.read(async (tx) => {
        expect(msgs(await tx.logs.read(m.uuid, { afterSeq: seqs[2] }))).toEqual(["m3", "m4"]);
        expect(msgs(await tx.logs.read(m.uuid, { limit: 2 }))).toEqual(["m3", "m4"]);
        expect(msgs(await tx.logs.read(m.uuid, { levels: ["WARNING", "ERROR"] }))).toEqual(["m2", "m3"]);
        expect(msgs(await tx.logs.read(m.uuid, { max: 2 }))).toHaveLength(2);
        expect(await tx.logs.latestTime(m.uuid)).toBe(14);
        expect(await tx.logs.countUpTo(m.uuid, seqs[1]!)).toBe(3); // the creation entry and m0, m1
      });
    });
  });
});
