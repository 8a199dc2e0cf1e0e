// Failures before the point of no return: each ends in ABORTDONE with the
// root cause shown, nothing left on the destination, and the source model
// exactly as it was (content-equal) and writable; a later attempt works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../../src/domain/phases.js";
import { rawCount, rawQuery } from "../helpers/raw-sql.js";
import { ENGINES } from "../helpers/stores.js";
import {
  buildModel,
  content,
  migrate,
  MigrationPhase,
  restartCtl,
  startCtl,
  waitFor,
  waitPhase,
  waitSettled,
  type Ctl,
} from "./harness.js";

// Both controllers on SQLite, and both on PostgreSQL.
describe.each(ENGINES)("both controllers on %s", (engine) => {
  let src: Ctl;
  let dst: Ctl;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startCtl("src", { store: engine }), startCtl("dst", { store: engine })]);
  });

  afterAll(async () => {
    await Promise.all([src?.d.stop(), dst?.d.stop()]);
    src?.d.cleanup();
    dst?.d.cleanup();
  });

  /** Whether the destination holds any row of the model (imported or not). */
  const onDestination = async (uuid: string) =>
    (await rawCount(dst.d.store, "SELECT count(*) FROM models WHERE uuid = ?", [uuid])) > 0;
  const tokenKept = async (id: string) =>
    (await rawQuery<{ t: string }>(src.d.store, "SELECT target_token AS t FROM migrations WHERE id = ?", [id]))[0]
      ?.t !== "";

  async function expectRestored(uuid: string, id: string, before: unknown, cause: string | RegExp): Promise<void> {
    const end = await waitPhase(src, id);
    expect(end.phase).toBe(MigrationPhase.ABORTDONE);
    if (typeof cause === "string") expect(end.failure).toBe(cause);
    else expect(end.failure).toMatch(cause);
    expect(end.statusMessage).toBe(MESSAGES.abortDone(end.failure));
    expect(await content(src, "admin/victim")).toEqual(before);
    const model = (await src.model.getModel({ model: "admin/victim" })).model!;
    expect(model.status?.current).toBe("available");
    expect(model.status?.message).toBe(MESSAGES.abortDone(end.failure));
    expect(model.migration?.id).toBe(id);
    // The destination's partial copy is gone and the token revoked and wiped.
    await waitFor("destination cleanup", async () => !(await onDestination(uuid)) && !(await tokenKept(id)));
  }

  describe("failures before SUCCESS", () => {
    let uuid: string;
    let before: unknown;
    let attempt = 0;

    it.each(["IMPORT", "PROCESSRELATIONS", "VALIDATION"])(
      "a failure in %s aborts and restores the model",
      async (phase) => {
        src = await restartCtl(src, { FERRY_MIGRATION_FAIL_PHASE: phase });
        if (!uuid) {
          uuid = await buildModel(src, "victim");
          before = await content(src, "admin/victim");
        }
        const m = await migrate(src, dst, "admin/victim", uuid);
        expect(m.attempt).toBe(attempt++);
        await expectRestored(uuid, m.id, before, `injected failure in ${phase} (FERRY_MIGRATION_FAIL_PHASE)`);
      },
    );

    it("a binary corrupted in transit is refused by the destination and the migration aborts", async () => {
      src = await restartCtl(src, { FERRY_MIGRATION_TEST_CORRUPT_BINARY: "1" });
      const m = await migrate(src, dst, "admin/victim", uuid);
      expect(m.attempt).toBe(attempt++);
      await expectRestored(uuid, m.id, before, /SHA-256|sha256|checksum/i);
    });

    it("the destination killed during IMPORT: abort with the connection failure", async () => {
      src = await restartCtl(src, { FERRY_MIGRATION_TEST_DELAY_MS: "500" });
      const m = await migrate(src, dst, "admin/victim", uuid);
      await waitPhase(src, m.id, [MigrationPhase.IMPORT]);
      await dst.d.kill();
      const end = await waitPhase(src, m.id);
      expect(end.phase).toBe(MigrationPhase.ABORTDONE);
      expect(end.failure).toMatch(/^cannot connect to destination controller: .+/);
      expect(await content(src, "admin/victim")).toEqual(before);
      // The destination comes back (same port): the worker finishes the cleanup there.
      dst = await restartCtl(dst, {}, { samePort: true });
      await expectRestored(uuid, m.id, before, end.failure);
      attempt++;
    });

    it("the destination killed after the import: the leftover is removed once it is back", async () => {
      src = await restartCtl(src, { FERRY_MIGRATION_TEST_DELAY_MS: "500" });
      const m = await migrate(src, dst, "admin/victim", uuid);
      await waitPhase(src, m.id, [MigrationPhase.PROCESSRELATIONS]);
      expect(await onDestination(uuid)).toBe(true); // imported, not activated
      await dst.d.kill();
      const end = await waitPhase(src, m.id);
      expect(end.phase).toBe(MigrationPhase.ABORTDONE);
      expect(end.failure).toMatch(/^cannot connect to destination controller: /);
      expect(await tokenKept(m.id)).toBe(true); // cleanup pending
      expect(await onDestination(uuid)).toBe(true);
      dst = await restartCtl(dst, {}, { samePort: true });
      await expectRestored(uuid, m.id, before, end.failure);
      attempt++;
    });

    it("a later attempt succeeds", async () => {
      src = await restartCtl(src);
      await src.model.addMachines({ model: "admin/victim" }); // writable again
      // The precheck wants every machine running: wait for the new one to start.
      await waitSettled(src, "admin/victim");
      const m = await migrate(src, dst, "admin/victim", uuid);
      expect(m.attempt).toBe(attempt);
      expect(m.id).toBe(`${uuid}:${attempt}`);
      expect((await waitPhase(src, m.id)).phase).toBe(MigrationPhase.DONE);
      expect((await dst.model.getStatus({ model: "admin/victim" })).status?.machines.length).toBe(5);
      const list = (await src.mig.listMigrations({ model: uuid })).migrations;
      expect(list.map((x) => MigrationPhase[x.phase])).toEqual([
        "DONE",
        "ABORTDONE",
        "ABORTDONE",
        "ABORTDONE",
        "ABORTDONE",
        "ABORTDONE",
        "ABORTDONE",
      ]);
      // Paging: four at a time, newest first.
      const p1 = await src.mig.listMigrations({ model: uuid, pageSize: 4 });
      const p2 = await src.mig.listMigrations({ model: uuid, pageSize: 4, pageToken: p1.nextPageToken });
      expect([...p1.migrations, ...p2.migrations].map((x) => x.attempt)).toEqual([6, 5, 4, 3, 2, 1, 0]);
      expect(p2.nextPageToken).toBe("");
    });
  });
});
