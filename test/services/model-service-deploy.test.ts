import { createHash } from "node:crypto";
import { strToU8, zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/stores.js";
import type { FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import { EndpointRole } from "../../gen/ts/ferry/v1/resources_pb.js";
import { badFields, Code, failure, reasonOf, startHarness, waitFor, type Harness } from "./model-harness.js";

describe.each(ENGINES)("on %s", (engine) => {
  let h: Harness;
  let uuid: string;
  beforeEach(async () => {
    h = await startHarness({ engine });
    uuid = (await h.as("alice").createModel({ name: "web" })).model!.uuid;
  });
  afterEach(() => h.close());

  const settled = (s: FullStatus) =>
    s.machines.every((m) => m.agentStatus?.current === "started") &&
    s.applications.every((a) =>
      a.units.every((u) => u.agentStatus?.current === "idle" && u.workloadStatus?.current === "active"),
    ) &&
    s.relations.every((r) => r.status?.current === "joined");

  async function settledStatus(): Promise<FullStatus> {
    return waitFor(async () => {
      const { status } = await h.as("alice").getStatus({ model: "web" });
      return status && settled(status) ? status : undefined;
    });
  }

  describe("deploy, integrate and status", () => {
    it("deploys wordpress and postgresql, relates them, and everything becomes active", async () => {
      const alice = h.as("alice");
      const wp = await alice.deployApplication({ model: "web", charm: "wordpress", config: { "blog-title": "Hi" } });
      expect(wp.application).toMatchObject({
        name: "wordpress",
        charm: "wordpress",
        charmRev: 3,
        charmUrl: "ferry:wordpress-3",
        unitCount: 1,
      });
      expect(wp.application!.units[0]).toMatchObject({ name: "wordpress/0", machine: "0", leader: true });
      expect(wp.application!.units[0]!.agentStatus?.current).toBe("allocating");
      const pg = await alice.deployApplication({ model: "web", charm: "postgresql", numUnits: 2 });
      expect(pg.application!.units.map((u) => [u.name, u.machine, u.leader])).toEqual([
        ["postgresql/0", "1", true],
        ["postgresql/1", "2", false],
      ]);
      const rel = await alice.addRelation({ model: "web", endpoints: ["wordpress", "postgresql"] });
      expect(rel.relation).toMatchObject({ key: "wordpress:db postgresql:db", interface: "pgsql", scope: "global" });
      expect(rel.relation!.endpoints.map((e) => [e.application, e.name, e.role])).toEqual([
        ["wordpress", "db", EndpointRole.REQUIRER],
        ["postgresql", "db", EndpointRole.PROVIDER],
      ]);
      expect(rel.relation!.status?.current).toBe("joining");

      const status = await settledStatus();
      expect(status.model).toMatchObject({ name: "web", machineCount: 3, unitCount: 3 });
      expect(status.machines.map((m) => m.id)).toEqual(["0", "1", "2"]);
      const m0 = status.machines[0]!;
      expect(m0.instanceStatus?.current).toBe("running");
      expect(m0.instanceId).toBe(`inst-${uuid.replace(/-/g, "").slice(0, 6)}-0`);
      expect(m0.dnsName).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(m0.ipAddresses).toEqual([m0.dnsName]);
      expect(m0.base).toMatchObject({ name: "ubuntu", channel: "24.04" });
      expect(status.applications.map((a) => [a.name, a.status?.current])).toEqual([
        ["postgresql", "active"],
        ["wordpress", "active"],
      ]);
      const wpu = status.applications[1]!.units[0]!;
      expect(wpu).toMatchObject({ machine: "0", publicAddress: m0.dnsName, leader: true });
      // Peer relations come with the charms; the integration is last.
      expect(status.relations.map((r) => [r.id, r.key])).toEqual([
        [0, "wordpress:loadbalancer"],
        [1, "postgresql:replicas"],
        [2, "wordpress:db postgresql:db"],
      ]);
      expect(status.time).toBeDefined();
    });

    it("places units with --to and on new machines, and removes units", async () => {
      const alice = h.as("alice");
      await alice.addMachines({ model: "web", count: 2, base: { name: "ubuntu", channel: "22.04" } });
      await alice.deployApplication({ model: "web", charm: "ubuntu", to: "1" });
      const added = await alice.addUnits({ model: "web", application: "ubuntu", count: 2, to: "0" });
      expect(added.units.map((u) => [u.name, u.machine])).toEqual([
        ["ubuntu/1", "0"],
        ["ubuntu/2", "2"],
      ]);
      expect((await failure(() => alice.addUnits({ model: "web", application: "ubuntu", to: "9" }))).code).toBe(
        Code.NotFound,
      );
      expect((await failure(() => alice.addUnits({ model: "web", application: "nope" }))).code).toBe(Code.NotFound);
      await settledStatus();
      await alice.removeUnits({ model: "web", units: ["ubuntu/0"] });
      const after = await waitFor(async () => {
        const { status } = await alice.getStatus({ model: "web" });
        const units = status!.applications[0]!.units;
        return units.length === 2 ? units : undefined;
      });
      // Leadership moved to the next unit; machines stay, as in the reference.
      expect(after.map((u) => [u.name, u.leader])).toEqual([
        ["ubuntu/1", true],
        ["ubuntu/2", false],
      ]);
      expect((await alice.getStatus({ model: "web" })).status!.machines).toHaveLength(3);
      const missing = await failure(() => alice.removeUnits({ model: "web", units: ["ubuntu/7", "ubuntu/1"] }));
      expect(missing.code).toBe(Code.NotFound);
      expect(missing.rawMessage).toContain("ubuntu/7");
      expect(badFields(await failure(() => alice.removeUnits({ model: "web", units: ["ubuntu"] })))).toEqual([
        "units[0]",
      ]);
    });

    it("validates names and counts with BadRequest fields", async () => {
      const alice = h.as("alice");
      const badApp = await failure(() =>
        alice.deployApplication({ model: "web", charm: "ubuntu", application: "App_1" }),
      );
      expect(badApp.code).toBe(Code.InvalidArgument);
      expect(badFields(badApp)).toEqual(["application"]);
      expect(
        badFields(await failure(() => alice.deployApplication({ model: "web", charm: "ubuntu", numUnits: -1 }))),
      ).toEqual(["num_units"]);
      expect(
        badFields(await failure(() => alice.deployApplication({ model: "web", charm: "ubuntu", to: "x" }))),
      ).toEqual(["to"]);
      expect(badFields(await failure(() => alice.deployApplication({ model: "web", charm: "Bad" })))).toEqual([
        "charm",
      ]);
      expect(badFields(await failure(() => alice.addMachines({ model: "web", count: 5000 })))).toEqual(["count"]);
      const cfg = await failure(() =>
        alice.deployApplication({ model: "web", charm: "wordpress", config: { "max-upload-mb": "big", x: "1" } }),
      );
      expect(badFields(cfg).sort()).toEqual(["config.max-upload-mb", "config.x"]);
      expect((await failure(() => alice.deployApplication({ model: "web", charm: "nosuch" }))).code).toBe(
        Code.NotFound,
      );
      await alice.deployApplication({ model: "web", charm: "ubuntu" });
      expect((await failure(() => alice.deployApplication({ model: "web", charm: "ubuntu" }))).code).toBe(
        Code.AlreadyExists,
      );
      // The failed deploys left nothing behind (each is one transaction).
      const { status } = await alice.getStatus({ model: "web" });
      expect(status!.machines).toHaveLength(1);
    });
  });

  describe("access", () => {
    it("lets readers read but not write, and hides the model from strangers", async () => {
      await h.grant(uuid, "bob", "read");
      const denied = await failure(() => h.as("bob").deployApplication({ model: "alice/web", charm: "ubuntu" }));
      expect(denied.code).toBe(Code.PermissionDenied);
      expect((await h.as("bob").getStatus({ model: "alice/web" })).status?.model?.name).toBe("web");
      const stranger = await failure(() => h.as("carol").deployApplication({ model: uuid, charm: "ubuntu" }));
      expect(stranger.code).toBe(Code.NotFound);
      await h.grant(uuid, "bob", "write");
      await h.as("bob").deployApplication({ model: "alice/web", charm: "ubuntu" });
    });
  });

  describe("relations", () => {
    it("refuses duplicates, limits, mismatches and removes relations", async () => {
      const alice = h.as("alice");
      for (const [charm, application] of [
        ["wordpress", ""],
        ["postgresql", ""],
        ["postgresql", "pg2"],
        ["mysql", ""],
        ["haproxy", ""],
      ]) {
        await alice.deployApplication({ model: "web", charm: charm!, application: application! });
      }
      await alice.addRelation({ model: "web", endpoints: ["postgresql", "wordpress:db"] });
      const dup = await failure(() => alice.addRelation({ model: "web", endpoints: ["wordpress", "postgresql"] }));
      expect(dup.code).toBe(Code.AlreadyExists);
      const limit = await failure(() => alice.addRelation({ model: "web", endpoints: ["wordpress", "pg2"] }));
      expect(limit.code).toBe(Code.FailedPrecondition);
      expect(reasonOf(limit)).toBe("RELATION_LIMIT_EXCEEDED");
      const none = await failure(() => alice.addRelation({ model: "web", endpoints: ["wordpress", "mysql"] }));
      expect(none.code).toBe(Code.InvalidArgument);
      expect(badFields(none)).toEqual(["endpoints"]);
      expect((await failure(() => alice.addRelation({ model: "web", endpoints: ["wordpress", "ghost"] }))).code).toBe(
        Code.NotFound,
      );
      const proxy = await alice.addRelation({ model: "web", endpoints: ["haproxy", "wordpress"] });
      expect(proxy.relation?.key).toBe("haproxy:reverseproxy wordpress:website");

      await alice.removeRelation({ model: "web", endpoints: ["wordpress", "postgresql"] });
      await alice.addRelation({ model: "web", endpoints: ["wordpress", "pg2"] });
      await alice.removeRelation({ model: "web", relationId: proxy.relation!.id });
      const peer = await failure(() => alice.removeRelation({ model: "web", relationId: 0 }));
      expect(peer.code).toBe(Code.FailedPrecondition);
      const { status } = await alice.getStatus({ model: "web" });
      expect(status!.relations.filter((r) => r.endpoints.length === 2).map((r) => r.key)).toEqual([
        "wordpress:db pg2:db",
      ]);
    });
  });

  describe("config", () => {
    it("types values and refuses stale etags", async () => {
      const alice = h.as("alice");
      await alice.deployApplication({ model: "web", charm: "wordpress" });
      const got = await alice.getApplicationConfig({ model: "web", application: "wordpress" });
      expect(got.etag).toBe("0");
      expect(got.config["blog-title"]).toMatchObject({ value: "My Blog", source: "default", type: "string" });
      const upd = await alice.updateApplicationConfig({
        model: "web",
        application: "wordpress",
        set: { "max-upload-mb": "64", debug: "True" },
        etag: "0",
      });
      expect(upd.etag).toBe("1");
      expect(upd.config["max-upload-mb"]).toMatchObject({ value: "64", source: "user" });
      expect(upd.config.debug?.value).toBe("true");
      const stale = await failure(() =>
        alice.updateApplicationConfig({ model: "web", application: "wordpress", set: { debug: "false" }, etag: "0" }),
      );
      expect(stale.code).toBe(Code.Aborted);
      expect(reasonOf(stale)).toBe("ETAG_MISMATCH");
      const bad = await failure(() =>
        alice.updateApplicationConfig({ model: "web", application: "wordpress", set: { "max-upload-mb": "1.5" } }),
      );
      expect(badFields(bad)).toEqual(["set.max-upload-mb"]);
      const reset = await alice.updateApplicationConfig({
        model: "web",
        application: "wordpress",
        unset: ["max-upload-mb"],
      });
      expect(reset).toMatchObject({ etag: "2" });
      expect(reset.config["max-upload-mb"]).toMatchObject({ value: "8", source: "default" });

      const mc = await alice.getModelConfig({ model: "web" });
      expect(mc.config["default-base"]).toMatchObject({ value: "ubuntu@24.04", source: "default" });
      expect(mc.config.name).toMatchObject({ value: "web", source: "model" });
      const mupd = await alice.updateModelConfig({
        model: "web",
        set: { "default-base": "ubuntu@22.04", "my-key": "x" },
        etag: mc.etag,
      });
      expect(mupd.config["default-base"]).toMatchObject({ value: "ubuntu@22.04", source: "user" });
      expect(
        reasonOf(await failure(() => alice.updateModelConfig({ model: "web", set: { a: "b" }, etag: mc.etag }))),
      ).toBe("ETAG_MISMATCH");
      expect(badFields(await failure(() => alice.updateModelConfig({ model: "web", set: { uuid: "x" } })))).toEqual([
        "set.uuid",
      ]);
      // New machines follow the model's default base.
      const { machines } = await alice.addMachines({ model: "web" });
      expect(machines[0]!.base).toMatchObject({ name: "ubuntu", channel: "22.04" });
    });
  });

  describe("charms", () => {
    const archive = zipSync({
      "metadata.yaml": strToU8("name: myapp\nsummary: Mine\nrequires:\n  db: {interface: pgsql}\n"),
      "config.yaml": strToU8("options:\n  port: {type: int, default: 8080}\n"),
    });
    const sha = createHash("sha256").update(archive).digest("hex");

    async function* upload(bytes: Uint8Array, sha256: string, size = bytes.length, chunk = 1000) {
      yield { data: { case: "metadata" as const, value: { model: "web", size: BigInt(size), sha256 } } };
      for (let i = 0; i < bytes.length; i += chunk)
        yield { data: { case: "chunk" as const, value: bytes.subarray(i, i + chunk) } };
    }

    it("stores uploads with increasing revisions and deploys them", async () => {
      const alice = h.as("alice");
      const first = await alice.uploadCharm(upload(archive, sha));
      expect(first.charm).toMatchObject({
        name: "myapp",
        revision: 0,
        url: "local:myapp-0",
        sha256: sha,
        size: BigInt(archive.length),
      });
      expect((await alice.uploadCharm(upload(archive, sha.toUpperCase()))).charm?.url).toBe("local:myapp-1");
      const dep = await alice.deployApplication({ model: "web", charm: "local:myapp" });
      expect(dep.application).toMatchObject({ charmUrl: "local:myapp-1", charmRev: 1 });
      await alice.deployApplication({ model: "web", charm: "postgresql" });
      expect((await alice.addRelation({ model: "web", endpoints: ["myapp", "postgresql"] })).relation?.key).toBe(
        "myapp:db postgresql:db",
      );
      const list = await alice.listCharms({ model: "web" });
      expect(list.charms.map((c) => c.url)).toEqual([
        "ferry:haproxy-12",
        "local:myapp-0",
        "local:myapp-1",
        "ferry:mysql-58",
        "ferry:postgresql-3",
        "ferry:ubuntu-24",
        "ferry:wordpress-3",
      ]);
    });

    it("refuses a wrong checksum, wrong size, oversized chunks, bad archives and readers", async () => {
      const alice = h.as("alice");
      const wrong = await failure(() => alice.uploadCharm(upload(archive, "0".repeat(64))));
      expect(wrong.code).toBe(Code.InvalidArgument);
      expect(reasonOf(wrong)).toBe("CHECKSUM_MISMATCH");
      expect(badFields(wrong)).toEqual(["metadata.sha256"]);
      expect(reasonOf(await failure(() => alice.uploadCharm(upload(archive, sha, archive.length + 5))))).toBe(
        "SIZE_MISMATCH",
      );
      expect(badFields(await failure(() => alice.uploadCharm(upload(archive, sha, archive.length - 1))))).toEqual([
        "metadata.size",
      ]);
      const big = new Uint8Array(1024 * 1024 + 1);
      expect(badFields(await failure(() => alice.uploadCharm(upload(big, sha, big.length, big.length))))).toEqual([
        "chunk",
      ]);
      const junk = strToU8("not a zip at all");
      const junkSha = createHash("sha256").update(junk).digest("hex");
      expect(reasonOf(await failure(() => alice.uploadCharm(upload(junk, junkSha))))).toBe("INVALID_CHARM");
      await h.grant(uuid, "bob", "read");
      async function* asBob() {
        yield {
          data: { case: "metadata" as const, value: { model: "alice/web", size: BigInt(archive.length), sha256: sha } },
        };
      }
      expect((await failure(() => h.as("bob").uploadCharm(asBob()))).code).toBe(Code.PermissionDenied);
      expect((await alice.listCharms({ model: "web" })).charms.every((c) => c.url.startsWith("ferry:"))).toBe(true);
    });
  });
});
