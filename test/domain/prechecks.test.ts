import { DESCRIPTION_FORMAT, MIN_DESCRIPTION_FORMAT } from "../../src/domain/description.js";
import { describe, expect, it } from "vitest";
import {
  collapseMissingUsers,
  compareVersions,
  dedupeFailures,
  missingUsersAdvisory,
  PRECHECK,
  sourcePrechecks,
  targetPrechecks,
  tokenRejected,
  unreachable,
  uuidMismatch,
  versionPrechecks,
  type DestinationFacts,
  type MigratingModel,
  type SourceSnapshot,
} from "../../src/domain/prechecks.js";

const SRC = "3b4e0c57-0000-4000-8000-000000000001";
const DST = "9d1e0c57-0000-4000-8000-000000000002";

function healthy(over: Partial<SourceSnapshot> = {}): SourceSnapshot {
  return {
    controllerUuid: SRC,
    model: { uuid: "m-1", name: "migrate", owner: "admin", life: "alive", isController: false },
    otherMigrationActive: false,
    targetControllerUuid: DST,
    machines: [{ id: "0", life: "alive", agentStatus: "started" }],
    units: [
      { name: "pg/0", application: "pg", life: "alive", agentStatus: "idle" },
      { name: "wp/0", application: "wp", life: "alive", agentStatus: "executing" },
    ],
    relations: [{ key: "wp:db pg:db", status: "joined", applications: ["wp", "pg"] }],
    ...over,
  };
}

const model: MigratingModel = {
  uuid: "m-1",
  name: "migrate",
  owner: "admin",
  cloud: "localhost",
  cloudType: "lxd",
  region: "localhost",
  agentVersion: "1.0.0",
  controllerVersion: "1.0.0",
  users: ["admin", "bob", "carol"],
};

function dest(over: Partial<DestinationFacts> = {}): DestinationFacts {
  return {
    controllerVersion: "1.0.0",
    cloud: "localhost",
    cloudType: "lxd",
    regions: ["localhost"],
    existingUsers: new Set(["admin", "bob", "carol"]),
    modelWithSameName: false,
    modelWithSameUuid: false,
    ...over,
  };
}

const messages = (fs: { message: string }[]) => fs.map((f) => f.message);

describe("source prechecks", () => {
  it("pass for a settled model", () => {
    expect(sourcePrechecks(healthy())).toEqual([]);
  });

  it("report every failure at once, with the spec's words", () => {
    const fs = sourcePrechecks(
      healthy({
        model: { uuid: "c", name: "controller", owner: "admin", life: "dying", isController: true },
        otherMigrationActive: true,
        targetControllerUuid: SRC.toUpperCase(),
        machines: [
          { id: "0", life: "alive", agentStatus: "started" },
          { id: "1", life: "alive", agentStatus: "pending" },
          { id: "2", life: "dying", agentStatus: "started" },
        ],
        units: [
          { name: "pg/0", application: "pg", life: "alive", agentStatus: "allocating" },
          { name: "wp/0", application: "wp", life: "alive", agentStatus: "idle" },
        ],
        relations: [{ key: "wp:db pg:db", status: "joining", applications: ["wp", "pg"] }],
      }),
    );
    expect(messages(fs)).toEqual([
      "controller model cannot be migrated",
      "migration already in progress",
      "model is dying",
      "model already on destination controller",
      "machine 1 is not running (pending)",
      "machine 2 is not running (dying)",
      "unit pg/0 is not idle or executing (allocating)",
      'unit pg/0 has not joined relation "wp:db pg:db" yet',
      'unit wp/0 has not joined relation "wp:db pg:db" yet',
    ]);
    expect(fs.map((f) => f.code)).toEqual([
      PRECHECK.controllerModel,
      PRECHECK.inProgress,
      PRECHECK.notAlive,
      PRECHECK.sameController,
      PRECHECK.machine,
      PRECHECK.machine,
      PRECHECK.unit,
      PRECHECK.relation,
      PRECHECK.relation,
    ]);
    expect(fs[4].subject).toBe("machine-1");
    expect(fs[6].subject).toBe("unit-pg-0");
  });

  it("units being removed are not ready", () => {
    const fs = sourcePrechecks(
      healthy({ units: [{ name: "pg/1", application: "pg", life: "dying", agentStatus: "idle" }] }),
    );
    expect(messages(fs)).toEqual(["unit pg/1 is not idle or executing (dying)"]);
  });
});

describe("connection failures", () => {
  it("carry the spec's words", () => {
    expect(unreachable("connect ECONNREFUSED 127.0.0.1:1").message).toBe(
      "cannot connect to destination controller: connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(uuidMismatch("a", "b").message).toBe("unexpected destination controller UUID (got a, expected b)");
    expect(tokenRejected("token expired").code).toBe(PRECHECK.tokenRejected);
  });
});

describe("destination prechecks", () => {
  it("pass for a compatible destination", () => {
    expect(targetPrechecks(dest(), model)).toEqual([]);
  });

  it("report every failure at once", () => {
    const fs = targetPrechecks(
      dest({
        controllerVersion: "0.9.5",
        cloud: "aws",
        cloudType: "ec2",
        existingUsers: new Set(["admin"]),
        modelWithSameName: true,
        modelWithSameUuid: true,
      }),
      model,
    );
    expect(messages(fs)).toEqual([
      "destination controller version 0.9.5 is older than source 1.0.0",
      'destination controller is in cloud "aws", model is in cloud "localhost"',
      'destination cloud type "ec2" differs from "lxd"',
      missingUsersAdvisory(["bob", "carol"]),
      'model named "migrate" already exists on destination controller',
      "model with same UUID already exists",
    ]);
  });

  it("refuses a description format this release cannot import, naming both versions", () => {
    const newer = targetPrechecks(dest({ controllerVersion: "1.0.0" }), {
      ...model,
      controllerVersion: "1.0.0",
      descriptionFormat: DESCRIPTION_FORMAT + 1,
    });
    expect(newer.map((f) => f.code)).toEqual([PRECHECK.descriptionFormat]);
    expect(newer[0]!.message).toBe(
      `source controller version 1.0.0 sends model description format ${DESCRIPTION_FORMAT + 1}, newer than destination controller version 1.0.0 imports (formats ${MIN_DESCRIPTION_FORMAT} to ${DESCRIPTION_FORMAT}); upgrade the destination first`,
    );
    const older = targetPrechecks(dest(), { ...model, descriptionFormat: MIN_DESCRIPTION_FORMAT - 1 });
    expect(older[0]!.message).toMatch(/no longer imports .*upgrade the source first$/);
    // A source that does not say (older than the field) sends format 2, which is importable.
    expect(targetPrechecks(dest(), { ...model, descriptionFormat: 0 })).toEqual([]);
    expect(targetPrechecks(dest(), { ...model, descriptionFormat: DESCRIPTION_FORMAT })).toEqual([]);
  });

  it("checks the region only within the same cloud", () => {
    expect(messages(targetPrechecks(dest({ regions: ["eu"] }), model))).toEqual([
      'region "localhost" not available on destination controller',
    ]);
  });

  it("the missing-users advisory is exactly the spec's text", () => {
    expect(missingUsersAdvisory(["bob", "carol"])).toBe(
      "cannot initiate migration: the users granted access to the model do not exist\n" +
        "on the destination controller. Add them to the destination controller or remove\n" +
        "them from the model:\n" +
        "  - bob\n" +
        "  - carol",
    );
  });

  it("folds per-user violations into one advisory listing every user", () => {
    const fs = collapseMissingUsers([
      { code: "CLOUD_MISMATCH", subject: "x", message: "a" },
      { code: PRECHECK.missingUser, subject: "carol", message: 'user "carol" does not exist' },
      { code: "OTHER", subject: "y", message: "b" },
      { code: PRECHECK.missingUser, subject: "bob", message: 'user "bob" does not exist' },
    ]);
    expect(fs.map((f) => f.code)).toEqual(["CLOUD_MISMATCH", PRECHECK.missingUsers, "OTHER"]);
    expect(fs[1].message).toBe(missingUsersAdvisory(["bob", "carol"]));
    expect(fs[1].subject).toBe("bob,carol");
  });

  it("versions compare numerically, pre-releases before releases", () => {
    expect(compareVersions("1.10.0", "1.9.2")).toBe(1);
    expect(compareVersions("1.0", "1.0.0")).toBe(0);
    expect(compareVersions("1.2.0-beta1", "1.2.0")).toBe(-1);
    expect(compareVersions("v2.0.0", "1.99.99")).toBe(1);
    expect(messages(versionPrechecks("1.0.0", { controllerVersion: "1.0.0", agentVersion: "1.1.0" }))).toEqual([
      "destination controller version 1.0.0 is older than model agent version 1.1.0",
    ]);
    expect(versionPrechecks("1.2.0", { controllerVersion: "1.0.0", agentVersion: "1.1.0" })).toEqual([]);
  });

  it("duplicates reported by both sides appear once", () => {
    const v = versionPrechecks("0.1.0", model);
    expect(dedupeFailures([...v, ...v])).toEqual(v);
  });
});
