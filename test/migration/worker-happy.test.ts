// Migrations between two real controllers that succeed: everything arrives,
// the source answers with a redirect (only to those who had access), the
// token stops working, back and forth, and two models at once.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRedirectSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MESSAGES } from "../../src/domain/phases.js";
import { fingerprint } from "../../src/pki/fingerprint.js";
import { clientFor } from "../helpers/ferryd.js";
import { rawQuery } from "../helpers/raw-sql.js";
import { ENGINES } from "../helpers/stores.js";
import {
  buildModel,
  content,
  ensureUsers,
  failure,
  login,
  migrate,
  MigrationPhase,
  reasonOf,
  startCtl,
  waitPhase,
  type Ctl,
} from "./harness.js";

const PAIRS = ENGINES.flatMap((a) => ENGINES.map((b) => [a, b] as const));

describe.each(PAIRS)("from a controller on %s to one on %s", (srcStore, dstStore) => {
  let src: Ctl;
  let dst: Ctl;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startCtl("src", { store: srcStore }), startCtl("dst", { store: dstStore })]);
    await Promise.all([ensureUsers(src, ["bob", "carol", "eve"]), ensureUsers(dst, ["bob", "carol"])]);
  });

  afterAll(async () => {
    await Promise.all([src?.d.stop(), dst?.d.stop()]);
    src?.d.cleanup();
    dst?.d.cleanup();
  });

  describe("a successful migration", () => {
    let uuid: string;
    let token: string;
    let before: unknown;
    let migrationId: string;
    let seen: MigrationPhase[] = [];
    let messages: string[] = [];

    it("moves a model with machines, applications, units, relations, config and users", async () => {
      uuid = await buildModel(src, "migrate", { bob: ModelAccess.READ, carol: ModelAccess.WRITE });
      before = await content(src, "admin/migrate");
      const issued = await dst.ctl.createMigrationToken({ modelUuid: uuid, sourceControllerUuid: src.uuid });
      token = issued.token;
      const { migration } = await src.mig.startMigration({
        model: "admin/migrate",
        target: {
          controllerUuid: dst.uuid,
          controllerName: "dst",
          addresses: [dst.d.address],
          caCert: dst.d.caPem,
          token,
        },
      });
      migrationId = migration!.id;
      expect(migrationId).toBe(`${uuid}:0`);
      expect(migration!.phase).toBe(MigrationPhase.QUIESCE);
      expect(migration!.target?.token).toBe("");
      // Watch from the start: every phase and message, in order, ending after DONE.
      for await (const u of src.mig.watchMigration({ id: migrationId })) {
        const m = u.migration!;
        if (seen[seen.length - 1] !== m.phase) seen.push(m.phase);
        if (messages[messages.length - 1] !== m.statusMessage) messages.push(m.statusMessage);
      }
      expect(seen[seen.length - 1]).toBe(MigrationPhase.DONE);
      const done = await waitPhase(src, migrationId);
      expect(done.phase).toBe(MigrationPhase.DONE);
      expect(done.endTime).toBeDefined();
      expect(done.phaseTimings.map((t) => MigrationPhase[t.phase])).toEqual([
        "QUIESCE",
        "IMPORT",
        "PROCESSRELATIONS",
        "VALIDATION",
        "SUCCESS",
        "LOGTRANSFER",
        "REAP",
        "DONE",
      ]);
      expect(done.progress!.entitiesTotal).toBeGreaterThan(0n);
      expect(done.progress!.entitiesDone).toBe(done.progress!.entitiesTotal);
      expect(done.progress!.bytesDone).toBe(done.progress!.bytesTotal);
      expect(done.progress!.logsDone).toBeGreaterThan(0n);
      expect(done.failure).toBe("");
      expect(done.initiatedBy).toBe("admin");
    });

    it("showed the spec's messages in order", () => {
      const order = [
        MESSAGES.exporting,
        MESSAGES.importing,
        MESSAGES.relations,
        MESSAGES.validatingAgents,
        MESSAGES.reaping,
      ];
      // A watch coalesces fast changes, so check order, not completeness.
      const idx = order.map((m) => messages.indexOf(m)).filter((i) => i >= 0);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
      expect(messages[messages.length - 1]).toBe(MESSAGES.reaping);
      expect(seen).toContain(MigrationPhase.DONE);
    });

    it("the destination has every machine, application, unit, relation, config value and user", async () => {
      const after = await content(dst, "admin/migrate");
      expect(after).toEqual(before);
      const st = (await dst.model.getStatus({ model: "admin/migrate" })).status!;
      expect(st.model?.status?.current).toBe("available");
      expect(st.model?.controllerUuid).toBe(dst.uuid);
      // Log entries came along.
      const logs = [];
      for await (const r of dst.model.streamLogs({ model: "admin/migrate" })) logs.push(...r.entries);
      expect(logs.length).toBeGreaterThan(0);
      // bob (read) can use it there.
      const bob = clientFor(dst.d, ModelService, await login(dst.d, "bob", "bob-password"));
      expect((await bob.getStatus({ model: "admin/migrate" })).status?.machines.length).toBe(4);
    });

    it("the source answers every model call with a redirect, to those who had access", async () => {
      const calls: [string, (c: ReturnType<typeof clientFor<typeof ModelService>>) => Promise<unknown>][] = [
        ["GetStatus", (c) => c.getStatus({ model: "admin/migrate" })],
        ["GetModel by uuid", (c) => c.getModel({ model: uuid })],
        ["GetModel by name", (c) => c.getModel({ model: "migrate" })],
        ["DeleteModel", (c) => c.deleteModel({ model: "admin/migrate" })],
        ["AddMachines", (c) => c.addMachines({ model: "admin/migrate" })],
        ["GetModelConfig", (c) => c.getModelConfig({ model: "admin/migrate" })],
        [
          "WatchStatus",
          async (c) => {
            for await (const _ of c.watchStatus({ model: "admin/migrate" })) break;
          },
        ],
      ];
      for (const [name, call] of calls) {
        const err = await failure(call(src.model));
        expect(err.code, name).toBe(Code.FailedPrecondition);
        expect(reasonOf(err), name).toBe("MODEL_MIGRATED");
        const info = err.findDetails(ErrorInfoSchema)[0]!;
        expect(info.metadata).toEqual({ model_uuid: uuid, controller_uuid: dst.uuid, controller_name: "dst" });
        const r = err.findDetails(ModelRedirectSchema)[0]!;
        expect(r.modelName).toBe("migrate");
        expect(r.modelOwner).toBe("admin");
        expect(r.modelUuid).toBe(uuid);
        expect(r.controllerUuid).toBe(dst.uuid);
        expect(r.controllerName).toBe("dst");
        expect(r.addresses).toEqual([dst.d.address]);
        expect(r.caCert).toBe(dst.d.caPem);
        expect(r.caFingerprint).toBe(fingerprint(dst.d.caPem));
        expect(r.migrationId).toBe(migrationId);
        expect(err.rawMessage).toBe('model "migrate" has been migrated to controller "dst"');
      }
      // Grants are model-scoped too.
      const grant = await failure(
        src.ctl.grantModelAccess({ model: "admin/migrate", user: "eve", access: ModelAccess.READ }),
      );
      expect(reasonOf(grant)).toBe("MODEL_MIGRATED");
      // bob had read access: he gets the redirect too.
      const bob = clientFor(src.d, ModelService, await login(src.d, "bob", "bob-password"));
      expect(reasonOf(await failure(bob.getStatus({ model: "admin/migrate" })))).toBe("MODEL_MIGRATED");
      // eve never had access: plain not-found, the same as a model that never existed.
      const eve = clientFor(src.d, ModelService, await login(src.d, "eve", "eve-password"));
      const hidden = await failure(eve.getStatus({ model: "admin/migrate" }));
      const never = await failure(eve.getStatus({ model: "admin/never-existed" }));
      expect(hidden.code).toBe(Code.NotFound);
      expect(hidden.rawMessage.replace("migrate", "X")).toBe(never.rawMessage.replace("never-existed", "X"));
      expect(reasonOf(hidden)).toBe(reasonOf(never));
    });

    it("the migration stays readable on the source by model name, and the token is spent", async () => {
      const m = (await src.mig.getMigration({ id: "admin/migrate" })).migration!;
      expect(m.id).toBe(migrationId);
      const list = (await src.mig.listMigrations({ model: "admin/migrate" })).migrations;
      expect(list.map((x) => x.id)).toEqual([migrationId]);
      // The destination revoked the token (CompleteMigration).
      await expect
        .poll(
          async () =>
            (await failure(clientFor(dst.d, MigrationTargetService, token).getImportState({ modelUuid: uuid }))).code,
        )
        .toBe(Code.Unauthenticated);
      // The source wiped its sealed copy, and never stored or logged it in clear.
      await expect
        .poll(async () => {
          const [row] = await rawQuery<{ target_token: string }>(
            src.d.store,
            "SELECT target_token FROM migrations WHERE id = ?",
            [migrationId],
          );
          return row?.target_token === "";
        })
        .toBe(true);
      expect(src.d.output()).not.toContain(token);
      expect(dst.d.output()).not.toContain(token);
      // The sealing key: in the data dir on the embedded store, in the shared store otherwise.
      if (srcStore === "sqlite") {
        expect(readFileSync(join(src.d.dataDir, "migration.key")).length).toBe(32);
      } else {
        expect(existsSync(join(src.d.dataDir, "migration.key"))).toBe(false);
        const [row] = await rawQuery<{ value: string }>(
          src.d.store,
          "SELECT value FROM controller_secrets WHERE name = 'migration.key'",
        );
        expect(Buffer.from(row!.value, "base64").length).toBe(32);
      }
    });
  });

  describe("more migrations", () => {
    it("A -> B -> A: the model comes back, and B then redirects", async () => {
      const uuid = await buildModel(src, "roundtrip", { bob: ModelAccess.ADMIN });
      const before = await content(src, "admin/roundtrip");
      const there = await migrate(src, dst, "admin/roundtrip", uuid);
      expect((await waitPhase(src, there.id)).phase).toBe(MigrationPhase.DONE);
      const back = await migrate(dst, src, "admin/roundtrip", uuid, "src");
      expect((await waitPhase(dst, back.id)).phase).toBe(MigrationPhase.DONE);
      expect(await content(src, "admin/roundtrip")).toEqual(before);
      // The live model wins over the old redirect on src; dst now points back at src.
      expect((await src.model.getModel({ model: "admin/roundtrip" })).model?.uuid).toBe(uuid);
      const err = await failure(dst.model.getModel({ model: "admin/roundtrip" }));
      expect(err.findDetails(ModelRedirectSchema)[0]?.controllerUuid).toBe(src.uuid);
      // And it can leave again: the attempt number grows on src.
      const again = await migrate(src, dst, "admin/roundtrip", uuid);
      expect(again.id).toBe(`${uuid}:1`);
      expect((await waitPhase(src, again.id)).phase).toBe(MigrationPhase.DONE);
      expect(await content(dst, "admin/roundtrip")).toEqual(before);
    });

    it("two models migrate concurrently; a status watch ends with the redirect", async () => {
      const [a, b] = await Promise.all([buildModel(src, "alpha"), buildModel(src, "beta")]);
      const [ba, bb] = [await content(src, "admin/alpha"), await content(src, "admin/beta")];
      // failure() attaches its handler now: the stream may end long before we
      // look at it, and a rejection nobody handles yet would fail the run.
      const watched = failure(
        (async () => {
          for await (const _ of src.model.watchStatus({ model: "admin/alpha" })) {
            // keep reading until the model leaves
          }
        })(),
      );
      const [ma, mb] = await Promise.all([migrate(src, dst, "admin/alpha", a), migrate(src, dst, "admin/beta", b)]);
      const [ra, rb] = await Promise.all([waitPhase(src, ma.id), waitPhase(src, mb.id)]);
      expect([ra.phase, rb.phase]).toEqual([MigrationPhase.DONE, MigrationPhase.DONE]);
      expect(reasonOf(await watched)).toBe("MODEL_MIGRATED");
      expect(await content(dst, "admin/alpha")).toEqual(ba);
      expect(await content(dst, "admin/beta")).toEqual(bb);
      const all = (await src.mig.listMigrations({ pageSize: 2 })).migrations;
      expect(all.length).toBe(2);
    });

    it("the controller model cannot leave", async () => {
      const info = (await src.ctl.getControllerInfo({})).controller!;
      const err = await failure(migrate(src, dst, "admin/controller", info.controllerModelUuid));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.rawMessage).toContain("controller model cannot be migrated");
    });
  });
});
