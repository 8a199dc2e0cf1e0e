import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { builtinCharm } from "../../src/domain/charm-samples.js";
import { storedMetadata } from "../../src/domain/charms.js";
import { insertApplication, insertCharm, insertUnits, listUnits, readCharmArchive } from "../../src/store/app-repo.js";
import { openStore, type Store } from "../../src/store/db.js";
import { appendLogEntry, latestLogTime, readLogEntries } from "../../src/store/log-repo.js";
import { insertMachines, listMachines } from "../../src/store/machine-repo.js";
import {
  createModelRow,
  deleteModelData,
  getModelConfig,
  listModelsPage,
  listModelUsers,
  modelCounts,
  replaceModelConfig,
} from "../../src/store/model-repo.js";
import { insertRelation } from "../../src/store/relation-repo.js";
import * as schema from "../../src/store/schema.js";
import { loadModelSnapshot, readStatusHistory, setMachineStatus } from "../../src/store/status-repo.js";

let dir: string;
let store: Store;

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-store-"));
  store = openStore(join(dir, "store.db"));
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("createModelRow", () => {
  it("creates the model with its owner as admin, config, first status and a log entry", () => {
    const m = store.tx((db) =>
      createModelRow(db, { ...base, name: "controller", owner: "admin", isController: true, config: { "x-y": "1" } }),
    );
    expect(m).toMatchObject({
      name: "controller",
      owner: "admin",
      isController: true,
      life: "alive",
      status: "available",
    });
    expect(listModelUsers(store.db, m.uuid)).toMatchObject([{ user: "admin", access: "admin" }]);
    expect(getModelConfig(store.db, m.uuid)).toEqual({ "x-y": "1" });
    expect(readStatusHistory(store.db, m.uuid, "model")).toMatchObject([{ status: "available" }]);
    expect(readLogEntries(store.db, m.uuid)).toMatchObject([{ entity: "model", level: "INFO" }]);
  });

  it("refuses a second model with the same owner and name", () => {
    store.tx((db) => createModelRow(db, { ...base, name: "m", owner: "alice" }));
    expect(() => store.tx((db) => createModelRow(db, { ...base, name: "m", owner: "alice" }))).toThrow(/UNIQUE/);
    // ...and the failed transaction left nothing behind.
    expect(store.db.select().from(schema.models).all()).toHaveLength(1);
  });
});

describe("listModelsPage", () => {
  it("pages by owner and name, only shared models unless all", () => {
    const made = ["bob/b", "alice/z", "alice/a", "carol/c"].map((s) => {
      const [owner, name] = s.split("/") as [string, string];
      return store.tx((db) => createModelRow(db, { ...base, name, owner }));
    });
    store.db.insert(schema.modelUsers).values({ modelUuid: made[0]!.uuid, user: "alice", access: "read" }).run();
    const names = (rows: { owner: string; name: string }[]) => rows.map((r) => `${r.owner}/${r.name}`);
    expect(names(listModelsPage(store.db, { user: "alice", all: false, limit: 10 }))).toEqual([
      "alice/a",
      "alice/z",
      "bob/b",
    ]);
    const first = listModelsPage(store.db, { user: "x", all: true, limit: 2 });
    expect(names(first)).toEqual(["alice/a", "alice/z", "bob/b"]); // limit + 1: there is more
    expect(
      names(listModelsPage(store.db, { user: "x", all: true, limit: 2, after: { owner: "alice", name: "z" } })),
    ).toEqual(["bob/b", "carol/c"]);
    store.db
      .update(schema.models)
      .set({ migrationMode: "importing" })
      .where(eq(schema.models.uuid, made[3]!.uuid))
      .run();
    expect(names(listModelsPage(store.db, { user: "x", all: true, limit: 10 }))).not.toContain("carol/c");
  });
});

describe("model contents", () => {
  it("counts, snapshots and deletes everything in one go", () => {
    const m = store.tx((db) => createModelRow(db, { ...base, name: "m", owner: "alice" }));
    const other = store.tx((db) => createModelRow(db, { ...base, name: "other", owner: "alice" }));
    const pg = builtinCharm("postgresql")!;
    store.tx((db) => {
      const machines = insertMachines(db, m.uuid, 2, { name: "ubuntu", channel: "24.04" }, 1000);
      insertCharm(db, {
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
      insertApplication(
        db,
        m.uuid,
        { name: "postgresql", charmUrl: pg.url, base: { name: "ubuntu", channel: "24.04" }, config: { port: "1" } },
        1000,
      );
      insertUnits(
        db,
        m.uuid,
        "postgresql",
        machines.map((x) => x.id),
        1000,
      );
      insertRelation(
        db,
        m.uuid,
        [{ ...pg.meta.endpoints.find((e) => e.role === "peer")!, application: "postgresql" }],
        1000,
      );
      replaceModelConfig(db, m.uuid, { "default-base": "ubuntu@22.04" });
      setMachineStatus(db, m.uuid, "0", "agent", { status: "started" }, 2000);
    });
    expect(modelCounts(store.db, [m.uuid, other.uuid]).get(m.uuid)).toEqual({ machines: 2, units: 2 });
    expect(listUnits(store.db, m.uuid).map((u) => [u.name, u.leader])).toEqual([
      ["postgresql/0", true],
      ["postgresql/1", false],
    ]);
    expect(Buffer.from(readCharmArchive(store.db, m.uuid, pg.url)!)).toEqual(Buffer.from(pg.archive));
    const snap = loadModelSnapshot(store.db, m.uuid)!;
    expect(snap.machines.map((x) => x.agentStatus)).toEqual(["started", "pending"]);
    expect(snap.relations).toMatchObject([{ id: 0, key: "postgresql:replicas", endpoints: [{ role: "peer" }] }]);
    expect(readStatusHistory(store.db, m.uuid, "machine-0").map((h) => h.status)).toEqual([
      "pending",
      "pending",
      "started",
    ]);
    expect(listMachines(store.db, m.uuid)).toHaveLength(2);

    store.tx((db) => deleteModelData(db, m.uuid));
    const tables = [
      schema.machines,
      schema.charms,
      schema.applications,
      schema.applicationConfig,
      schema.units,
      schema.relations,
      schema.relationEndpoints,
      schema.modelConfig,
      schema.modelUsers,
      schema.statusHistory,
      schema.logEntries,
    ];
    for (const t of tables) {
      const left = store.db
        .select()
        .from(t)
        .all()
        .filter((r) => (r as { modelUuid: string }).modelUuid === m.uuid);
      expect(left).toEqual([]);
    }
    expect(loadModelSnapshot(store.db, m.uuid)).toBeUndefined();
    // The other model is untouched.
    expect(listModelUsers(store.db, other.uuid)).toHaveLength(1);
  });
});

describe("log entries", () => {
  it("reads after a seq, the last N, and by level", () => {
    const m = store.tx((db) => createModelRow(db, { ...base, name: "m", owner: "alice", now: 1 }));
    const seqs = ["DEBUG", "INFO", "WARNING", "ERROR", "INFO"].map((level, i) =>
      appendLogEntry(store.db, m.uuid, {
        entity: "model",
        level: level as "INFO",
        module: "t",
        message: `m${i}`,
        time: 10 + i,
      }),
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const msgs = (rows: { message: string }[]) => rows.map((r) => r.message);
    expect(msgs(readLogEntries(store.db, m.uuid, { afterSeq: seqs[2] }))).toEqual(["m3", "m4"]);
    expect(msgs(readLogEntries(store.db, m.uuid, { limit: 2 }))).toEqual(["m3", "m4"]);
    expect(msgs(readLogEntries(store.db, m.uuid, { levels: ["WARNING", "ERROR"] }))).toEqual(["m2", "m3"]);
    expect(msgs(readLogEntries(store.db, m.uuid, { max: 2 }))).toHaveLength(2);
    expect(latestLogTime(store.db, m.uuid)).toBe(14);
  });
});
