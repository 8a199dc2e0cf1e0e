// StartMigration on the source: who may call it, validation of the
// destination, every precheck reported at once (as a dry run's list and as
// FAILED_PRECONDITION + PreconditionFailure), and a dry run changing nothing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import { BadRequestSchema, PreconditionFailureSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { missingUsersAdvisory } from "../../src/domain/prechecks.js";
import { clientFor } from "../helpers/ferryd.js";
import { buildModel, ensureUsers, failure, login, MigrationPhase, startCtl, type Ctl } from "./harness.js";

let src: Ctl;
let dst: Ctl;
let uuid: string;
let token: string;

function target(over: Record<string, unknown> = {}) {
  return {
    controllerUuid: dst.uuid,
    controllerName: "dst",
    addresses: [dst.d.address],
    caCert: dst.d.caPem,
    token,
    ...over,
  };
}

beforeAll(async () => {
  [src, dst] = await Promise.all([startCtl("src"), startCtl("dst")]);
  await Promise.all([ensureUsers(src, ["bob", "carol", "dave", "eve", "frank"]), ensureUsers(dst, ["bob"])]);
  uuid = await buildModel(src, "m1", {
    bob: ModelAccess.READ,
    carol: ModelAccess.WRITE,
    dave: ModelAccess.READ,
    frank: ModelAccess.ADMIN,
  });
  await dst.model.createModel({ name: "m1" });
  token = (await dst.ctl.createMigrationToken({ modelUuid: uuid, sourceControllerUuid: src.uuid })).token;
});

afterAll(async () => {
  await Promise.all([src?.d.stop(), dst?.d.stop()]);
  src?.d.cleanup();
  dst?.d.cleanup();
});

describe("StartMigration", () => {
  it("a dry run lists every failure and the plan, and changes nothing on either side", async () => {
    const dstModels = (await dst.model.listModels({ all: true })).models.map((m) => m.uuid);
    const res = await src.mig.startMigration({ model: "admin/m1", target: target(), dryRun: true });
    // Every failure, in no particular order.
    expect(res.failures.map((f) => f.message).sort()).toEqual([
      missingUsersAdvisory(["carol", "dave", "frank"]),
      'model named "m1" already exists on destination controller',
    ]);
    expect(res.failures.map((f) => f.code).sort()).toEqual(["MISSING_USERS", "MODEL_NAME_EXISTS"]);
    expect(res.plan.length).toBeGreaterThanOrEqual(7);
    expect(res.plan[0]).toContain("QUIESCE");
    expect(res.migration?.id).toBe(`${uuid}:0`);
    expect(res.migration?.phase).toBe(MigrationPhase.UNSPECIFIED);
    expect(res.migration?.target?.token).toBe("");
    // Nothing changed: no migration, the model still available and writable, no key, same models there.
    expect((await src.mig.listMigrations({})).migrations).toEqual([]);
    const m = (await src.model.getModel({ model: "admin/m1" })).model!;
    expect(m.status?.current).toBe("available");
    expect(m.migration).toBeUndefined();
    expect(existsSync(join(src.d.dataDir, "migration.key"))).toBe(false);
    expect((await dst.model.listModels({ all: true })).models.map((x) => x.uuid)).toEqual(dstModels);
  });

  it("without dry run fails with FAILED_PRECONDITION listing every violation", async () => {
    const err = await failure(src.mig.startMigration({ model: "admin/m1", target: target() }));
    expect(err.code).toBe(Code.FailedPrecondition);
    const v = err.findDetails(PreconditionFailureSchema)[0]!.violations;
    expect(v.map((x) => x.type).sort()).toEqual(["MISSING_USERS", "MODEL_NAME_EXISTS"]);
    const users = v.find((x) => x.type === "MISSING_USERS")!;
    expect(users.description).toBe(missingUsersAdvisory(["carol", "dave", "frank"]));
    expect(users.subject).toBe("carol,dave,frank");
    expect(err.rawMessage).toContain(missingUsersAdvisory(["carol", "dave", "frank"]));
    expect((await src.mig.listMigrations({})).migrations).toEqual([]);
  });

  it("reports an unreachable destination, a wrong CA and a wrong UUID", async () => {
    const down = await src.mig.startMigration({
      model: "admin/m1",
      target: target({ addresses: ["127.0.0.1:1"] }),
      dryRun: true,
    });
    expect(down.failures.map((f) => f.message).join("\n")).toMatch(/^cannot connect to destination controller: .+/);
    // Pinning: the source's own CA did not sign the destination's certificate.
    const wrongCa = await src.mig.startMigration({
      model: "admin/m1",
      target: target({ caCert: src.d.caPem }),
      dryRun: true,
    });
    expect(wrongCa.failures[0]?.message).toMatch(/^cannot connect to destination controller: /);
    expect(wrongCa.failures[0]?.code).toBe("TARGET_UNREACHABLE");
    const other = "00000000-0000-4000-8000-000000000000";
    const wrongUuid = await src.mig.startMigration({
      model: "admin/m1",
      target: target({ controllerUuid: other }),
      dryRun: true,
    });
    expect(wrongUuid.failures.map((f) => f.message)).toEqual([
      `unexpected destination controller UUID (got ${dst.uuid}, expected ${other})`,
    ]);
    const same = await src.mig.startMigration({
      model: "admin/m1",
      target: target({ controllerUuid: src.uuid }),
      dryRun: true,
    });
    expect(same.failures.map((f) => f.message)).toEqual(["model already on destination controller"]);
  });

  it("refuses a malformed destination, naming every bad field", async () => {
    const err = await failure(
      src.mig.startMigration({
        model: "admin/m1",
        target: { controllerUuid: "nope", controllerName: "", addresses: ["no-port"], caCert: "junk", token: "" },
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.findDetails(BadRequestSchema)[0]!.fieldViolations.map((f) => f.field)).toEqual([
      "target.controller_uuid",
      "target.controller_name",
      "target.addresses[0]",
      "target.ca_cert",
      "target.token",
    ]);
  });

  it("only a model admin who is also superuser may start one", async () => {
    const as = async (user: string) => clientFor(src.d, MigrationService, await login(src.d, user, `${user}-password`));
    const frank = await failure((await as("frank")).startMigration({ model: "admin/m1", target: target() }));
    expect(frank.code).toBe(Code.PermissionDenied);
    expect(frank.rawMessage).toContain("superuser");
    const carol = await failure((await as("carol")).startMigration({ model: "admin/m1", target: target() }));
    expect(carol.code).toBe(Code.PermissionDenied);
    const eve = await failure((await as("eve")).startMigration({ model: "admin/m1", target: target() }));
    expect(eve.code).toBe(Code.NotFound);
    // eve cannot see migrations of the model either.
    expect((await failure((await as("eve")).getMigration({ id: "admin/m1" }))).code).toBe(Code.NotFound);
  });

  it("the dry run passes once the problems are fixed", async () => {
    await dst.model.deleteModel({ model: "admin/m1" });
    await ensureUsers(dst, ["carol", "dave", "frank"]);
    const res = await src.mig.startMigration({ model: "admin/m1", target: target(), dryRun: true });
    expect(res.failures).toEqual([]);
  });
});
