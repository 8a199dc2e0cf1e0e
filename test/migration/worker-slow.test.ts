// Migrations slowed down by the test knob FERRY_MIGRATION_TEST_DELAY_MS, to
// look at them while they run: the model is frozen for writes but readable,
// show-model and status show the progress, an abort on request puts the model
// back exactly as it was, nothing aborts after SUCCESS, and a source killed
// with SIGKILL resumes from the recorded phase and finishes.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelMigratingSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import { ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MESSAGES } from "../../src/domain/phases.js";
import {
  buildModel,
  content,
  failure,
  migrate,
  MigrationPhase,
  reasonOf,
  restartCtl,
  startCtl,
  waitPhase,
  type Ctl,
} from "./harness.js";
import { ENGINES } from "../helpers/stores.js";

const SLOW = { FERRY_MIGRATION_TEST_DELAY_MS: "400" };

// The source on each engine (the destination on SQLite).
describe.each(ENGINES)("a source on %s", (engine) => {
  let src: Ctl;
  let dst: Ctl;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startCtl("src", { env: SLOW, store: engine }), startCtl("dst")]);
  });

  afterAll(async () => {
    await Promise.all([src?.d.stop(), dst?.d.stop()]);
    src?.d.cleanup();
    dst?.d.cleanup();
  });

  describe("while a migration runs", () => {
    it("writes are refused with MODEL_MIGRATING, reads work, progress shows; an abort restores the model", async () => {
      const uuid = await buildModel(src, "frozen");
      const before = await content(src, "admin/frozen");
      const m = await migrate(src, dst, "admin/frozen", uuid);
      await waitPhase(src, m.id, [MigrationPhase.IMPORT]);

      const err = await failure(src.model.addMachines({ model: "admin/frozen" }));
      expect(err.code).toBe(Code.Unavailable);
      expect(reasonOf(err)).toBe("MODEL_MIGRATING");
      expect(err.rawMessage).toBe("model migration in progress");
      expect(err.findDetails(RetryInfoSchema)[0]?.retryDelay).toBeDefined();
      const detail = err.findDetails(ModelMigratingSchema)[0]!;
      expect(detail.modelUuid).toBe(uuid);
      expect(detail.migrationId).toBe(m.id);
      expect(["IMPORT", "PROCESSRELATIONS"]).toContain(detail.phase);
      const cfg = await failure(
        src.model.updateModelConfig({ model: "admin/frozen", set: { "logging-level": "INFO" } }),
      );
      expect(reasonOf(cfg)).toBe("MODEL_MIGRATING");
      // Access grants change what migrates too.
      const grant = await failure(
        src.ctl.grantModelAccess({ model: "admin/frozen", user: "admin", access: ModelAccess.READ }),
      );
      expect(reasonOf(grant)).toBe("MODEL_MIGRATING");

      // Reads keep working and show the migration.
      const st = (await src.model.getStatus({ model: "admin/frozen" })).status!;
      expect(st.model?.status?.current).toBe("busy");
      expect(st.model?.status?.message).toMatch(/^migrating: /);
      const conf = await src.model.getModelConfig({ model: "admin/frozen" });
      expect(Object.keys(conf.config).length).toBeGreaterThan(0);
      expect(conf.etag).not.toBe("");
      const shown = (await src.model.getModel({ model: "admin/frozen" })).model!;
      expect(shown.migration?.id).toBe(m.id);
      expect(shown.migration?.startTime).toBeDefined();
      expect(shown.migration?.endTime).toBeUndefined();
      expect(shown.migration?.message).not.toMatch(/^migrating: /);

      // A second migration of the same model is refused.
      const again = await failure(migrate(src, dst, "admin/frozen", uuid));
      expect(again.code).toBe(Code.FailedPrecondition);
      expect(again.rawMessage).toContain("migration already in progress");

      const aborted = (await src.mig.abortMigration({ id: "admin/frozen" })).migration!;
      expect(aborted.id).toBe(m.id);
      const end = await waitPhase(src, m.id);
      expect(end.phase).toBe(MigrationPhase.ABORTDONE);
      expect(end.failure).toBe("abort requested by admin");
      expect(end.statusMessage).toBe(MESSAGES.abortDone("abort requested by admin"));
      expect(end.phaseTimings.map((t) => MigrationPhase[t.phase]).slice(-2)).toEqual(["ABORT", "ABORTDONE"]);

      // Exactly as before; available, keeping the last message; show-model has the end.
      expect(await content(src, "admin/frozen")).toEqual(before);
      const after = (await src.model.getModel({ model: "admin/frozen" })).model!;
      expect(after.status?.current).toBe("available");
      expect(after.status?.message).toBe(MESSAGES.abortDone("abort requested by admin"));
      expect(after.migration?.message).toBe(MESSAGES.abortDone("abort requested by admin"));
      expect(after.migration?.endTime).toBeDefined();
      // Nothing left on the destination, and the model is writable again.
      expect((await dst.model.listModels({ all: true })).models.map((x) => x.name)).not.toContain("frozen");
      await src.model.addMachines({ model: "admin/frozen" });
      // Aborting a finished migration is refused.
      expect((await failure(src.mig.abortMigration({ id: m.id }))).code).toBe(Code.FailedPrecondition);
    });

    it("cannot be aborted after SUCCESS", async () => {
      const uuid = await buildModel(src, "committed");
      const m = await migrate(src, dst, "admin/committed", uuid);
      await waitPhase(src, m.id, [MigrationPhase.SUCCESS, MigrationPhase.LOGTRANSFER, MigrationPhase.REAP]);
      const err = await failure(src.mig.abortMigration({ id: m.id }));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.rawMessage).toBe("migration is past the point of no return");
      expect((await waitPhase(src, m.id)).phase).toBe(MigrationPhase.DONE);
    });

    it("a source killed with SIGKILL resumes from the recorded phase and finishes", async () => {
      const uuid = await buildModel(src, "crashy");
      const before = await content(src, "admin/crashy");
      const m = await migrate(src, dst, "admin/crashy", uuid);
      // Crash mid-IMPORT (during the slow phase start), come back still slow ...
      await waitPhase(src, m.id, [MigrationPhase.IMPORT]);
      await src.d.kill();
      src = await restartCtl(src, SLOW);
      // ... crash again mid-VALIDATION, then come back at full speed.
      await waitPhase(src, m.id, [MigrationPhase.VALIDATION]);
      await src.d.kill();
      src = await restartCtl(src);
      const end = await waitPhase(src, m.id);
      expect(end.phase).toBe(MigrationPhase.DONE);
      expect(await content(dst, "admin/crashy")).toEqual(before);
      expect(reasonOf(await failure(src.model.getStatus({ model: "admin/crashy" })))).toBe("MODEL_MIGRATED");
    });
  });
});
