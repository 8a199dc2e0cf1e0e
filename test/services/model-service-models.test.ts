import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Life, ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import { badFields, Code, failure, reasonOf, startHarness, type Harness } from "./model-harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

describe("CreateModel / GetModel", () => {
  it("creates a model owned by the caller, who gets admin", async () => {
    const { model } = await h.as("alice").createModel({ name: "web", config: { "default-base": "ubuntu@22.04" } });
    expect(model).toMatchObject({
      name: "web",
      owner: "alice",
      type: "iaas",
      controllerName: "src",
      cloud: "localhost",
      region: "localhost",
      cloudType: "lxd",
      life: Life.ALIVE,
      access: ModelAccess.ADMIN,
      agentVersion: "1.0.0",
      machineCount: 0,
      unitCount: 0,
    });
    expect(model!.status?.current).toBe("available");
    expect(model!.users.map((u) => [u.user, u.access])).toEqual([["alice", ModelAccess.ADMIN]]);
    const got = await h.as("alice").getModel({ model: "web" });
    expect(got.model?.uuid).toBe(model!.uuid);
    expect((await h.as("alice").getModel({ model: model!.uuid })).model?.name).toBe("web");
    expect((await h.as("admin").getModel({ model: "alice/web" })).model?.name).toBe("web");
  });

  it("refuses bad names, unknown regions, bad config and duplicates", async () => {
    const bad = await failure(() => h.as("alice").createModel({ name: "Bad_Name" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(badFields(bad)).toEqual(["name"]);
    const region = await failure(() => h.as("alice").createModel({ name: "m", region: "mars" }));
    expect(badFields(region)).toEqual(["region"]);
    expect(region.rawMessage).toContain("localhost, other");
    const cfg = await failure(() => h.as("alice").createModel({ name: "m", config: { "default-base": "jammy" } }));
    expect(badFields(cfg)).toEqual(["config.default-base"]);
    await h.as("alice").createModel({ name: "m", region: "other" });
    const dup = await failure(() => h.as("alice").createModel({ name: "m" }));
    expect(dup.code).toBe(Code.AlreadyExists);
    expect(dup.rawMessage).toBe('model "alice/m" already exists');
  });

  it("needs add-model access, and only superusers create for others", async () => {
    const denied = await failure(() => h.as("bob").createModel({ name: "m" }));
    expect(denied.code).toBe(Code.PermissionDenied);
    const other = await failure(() => h.as("alice").createModel({ name: "m", owner: "bob" }));
    expect(other.code).toBe(Code.PermissionDenied);
    const { model } = await h.as("admin").createModel({ name: "m", owner: "bob" });
    expect(model).toMatchObject({ owner: "bob", access: ModelAccess.ADMIN });
    const ghost = await failure(() => h.as("admin").createModel({ name: "m", owner: "ghost" }));
    expect(ghost.code).toBe(Code.NotFound);
  });

  it("hides models from users without access and shows others only themselves", async () => {
    const { model } = await h.as("alice").createModel({ name: "web" });
    const hidden = await failure(() => h.as("carol").getModel({ model: model!.uuid }));
    expect(hidden.code).toBe(Code.NotFound);
    expect(reasonOf(hidden)).toBe("MODEL_NOT_FOUND");
    await h.grant(model!.uuid, "bob", "read");
    const seen = await h.as("bob").getModel({ model: "alice/web" });
    expect(seen.model?.access).toBe(ModelAccess.READ);
    expect(seen.model?.users.map((u) => u.user)).toEqual(["bob"]);
    const asOwner = await h.as("alice").getModel({ model: "web" });
    expect(asOwner.model?.users.map((u) => u.user)).toEqual(["alice", "bob"]);
  });
});

describe("ListModels", () => {
  it("pages with an opaque token, and lists all models for superusers", async () => {
    for (const n of ["e", "a", "d", "c", "b"]) await h.as("alice").createModel({ name: n });
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await h.as("alice").listModels({ pageSize: 2, pageToken: token });
      seen.push(...res.models.map((m) => m.name));
      expect(res.models.length).toBeLessThanOrEqual(2);
      token = res.nextPageToken;
      pages++;
    } while (token);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
    expect(pages).toBe(3);

    const mine = await h.as("admin").listModels({});
    expect(mine.models.map((m) => `${m.owner}/${m.name}`)).toEqual(["admin/controller"]);
    expect(mine.models[0]).toMatchObject({ isController: true });
    const all = await h.as("admin").listModels({ all: true });
    expect(all.models).toHaveLength(6);
    expect(all.models.every((m) => m.access === ModelAccess.ADMIN)).toBe(true);

    expect((await failure(() => h.as("alice").listModels({ all: true }))).code).toBe(Code.PermissionDenied);
    expect(badFields(await failure(() => h.as("alice").listModels({ pageToken: "garbage!" })))).toEqual(["page_token"]);
    expect((await h.as("bob").listModels({})).models).toEqual([]);
  });

  it("reports machine and unit counts", async () => {
    const { model } = await h.as("alice").createModel({ name: "web" });
    await h.as("alice").addMachines({ model: "web", count: 2 });
    await h.as("alice").deployApplication({ model: "web", charm: "ubuntu", numUnits: 1 });
    const { models } = await h.as("alice").listModels({});
    expect(models.find((m) => m.uuid === model!.uuid)).toMatchObject({ machineCount: 3, unitCount: 1 });
  });
});

describe("DeleteModel", () => {
  it("removes the model for admins only and never the controller model", async () => {
    const { model } = await h.as("alice").createModel({ name: "web" });
    await h.as("alice").deployApplication({ model: "web", charm: "postgresql", numUnits: 2 });
    await h.grant(model!.uuid, "bob", "write");
    expect((await failure(() => h.as("bob").deleteModel({ model: "alice/web" }))).code).toBe(Code.PermissionDenied);
    const ctrl = await failure(() => h.as("admin").deleteModel({ model: "controller" }));
    expect(ctrl.code).toBe(Code.FailedPrecondition);
    expect(reasonOf(ctrl)).toBe("CONTROLLER_MODEL");
    await h.as("alice").deleteModel({ model: "web" });
    expect((await failure(() => h.as("alice").getModel({ model: "web" }))).code).toBe(Code.NotFound);
    // The name is free again.
    await h.as("alice").createModel({ name: "web" });
  });
});
