// The operator's verbs as RPCs (issue 10), as any gRPC client sees them:
// RemoveApplication, RemoveMachines (refused with MACHINE_HAS_UNITS and a
// PreconditionFailure unless forced), Expose/UnexposeApplication and
// StreamLogs' entity and module filters, on every engine.
import { PreconditionFailureSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/stores.js";
import { badFields, Code, failure, reasonOf, startHarness, waitFor, type Harness } from "./model-harness.js";

describe.each(ENGINES)("on %s", (engine) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ engine });
    await h.as("alice").createModel({ name: "web" });
  });
  afterEach(() => h.close());

  const status = async () => (await h.as("alice").getStatus({ model: "web" })).status!;

  it("RemoveApplication removes its relations at once, then its units, then itself", async () => {
    const alice = h.as("alice");
    await alice.deployApplication({ model: "web", charm: "wordpress", numUnits: 2 });
    await alice.deployApplication({ model: "web", charm: "postgresql" });
    const rel = (await alice.addRelation({ model: "web", endpoints: ["wordpress", "postgresql"] })).relation!;
    const res = await alice.removeApplication({ model: "web", application: "wordpress" });
    expect(res.units).toEqual(["wordpress/0", "wordpress/1"]);
    expect(res.relationIds).toContain(rel.id);
    expect((await status()).relations.filter((r) => r.endpoints.some((e) => e.application === "wordpress"))).toEqual(
      [],
    );
    await waitFor(async () => !(await status()).applications.some((a) => a.name === "wordpress"));
    expect((await status()).applications.map((a) => a.name)).toEqual(["postgresql"]);

    const missing = await failure(() => alice.removeApplication({ model: "web", application: "nosuch" }));
    expect(missing.code).toBe(Code.NotFound);
    expect(reasonOf(missing)).toBe("APPLICATION_NOT_FOUND");
    // Reading is not enough.
    await h.grant((await status()).model!.uuid, "bob", "read");
    const denied = await failure(() =>
      h.as("bob").removeApplication({ model: "alice/web", application: "postgresql" }),
    );
    expect(denied.code).toBe(Code.PermissionDenied);
  });

  it("RemoveMachines refuses a machine with units unless forced, naming them", async () => {
    const alice = h.as("alice");
    await alice.deployApplication({ model: "web", charm: "postgresql" });
    const spare = (await alice.addMachines({ model: "web", count: 1 })).machines[0]!.id;
    const refused = await failure(() => alice.removeMachines({ model: "web", machines: ["0"] }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(refused)).toBe("MACHINE_HAS_UNITS");
    const violations = refused.findDetails(PreconditionFailureSchema)[0]!.violations;
    expect(violations.map((v) => [v.subject, v.description])).toEqual([
      ["machine-0", expect.stringContaining("postgresql/0")],
    ]);
    expect((await status()).machines.map((m) => m.id)).toEqual(["0", spare]);

    expect((await alice.removeMachines({ model: "web", machines: [spare] })).units).toEqual([]);
    expect((await alice.removeMachines({ model: "web", machines: ["0"], force: true })).units).toEqual([
      "postgresql/0",
    ]);
    await waitFor(async () => (await status()).machines.length === 0);
    const gone = await failure(() => alice.removeMachines({ model: "web", machines: ["0", "7"] }));
    expect(gone.code).toBe(Code.NotFound);
    expect(gone.rawMessage).toBe('machines "0", "7" not found');
  });

  it("ExposeApplication and UnexposeApplication say whether anything changed", async () => {
    const alice = h.as("alice");
    await alice.deployApplication({ model: "web", charm: "wordpress" });
    expect((await alice.exposeApplication({ model: "web", application: "wordpress" })).changed).toBe(true);
    expect((await alice.exposeApplication({ model: "web", application: "wordpress" })).changed).toBe(false);
    expect((await status()).applications[0]!.exposed).toBe(true);
    expect((await alice.unexposeApplication({ model: "web", application: "wordpress" })).changed).toBe(true);
    expect((await status()).applications[0]!.exposed).toBe(false);
    const bad = await failure(() => alice.exposeApplication({ model: "web", application: "Bad Name" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(badFields(bad)).toEqual(["application"]);
  });

  it("StreamLogs filters by entity and module on the controller", async () => {
    const alice = h.as("alice");
    await alice.deployApplication({ model: "web", charm: "postgresql" });
    await alice.deployApplication({ model: "web", charm: "wordpress" });
    await waitFor(async () =>
      (await status()).applications.every((a) => a.units.every((u) => u.workloadStatus?.current === "active")),
    );
    const read = async (req: Record<string, unknown>) => {
      const out: { entity: string; module: string }[] = [];
      for await (const r of alice.streamLogs({ model: "web", follow: false, ...req })) {
        for (const e of r.entries) out.push({ entity: e.entity, module: e.module });
      }
      return out;
    };
    const only = await read({ include: ["wordpress"] });
    expect(only.length).toBeGreaterThan(0);
    for (const e of only) expect(e.entity).toMatch(/^(unit-wordpress-\d+|application-wordpress)$/);
    const notUniter = await read({ excludeModule: ["ferry.uniter"] });
    expect(notUniter.some((e) => e.module === "ferry.uniter")).toBe(false);
    expect(notUniter.length).toBeGreaterThan(0);
    const bad = await failure(() => read({ include: ["Bad!"] }));
    expect(bad.code).toBe(Code.InvalidArgument);
  });
});
