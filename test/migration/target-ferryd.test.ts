// MigrationTargetService on a real ferryd over TLS, called the way a source
// controller calls it: with a migration token the destination's admin
// obtained from ControllerService.CreateMigrationToken. The model comes from a
// local store (standing in for the source) through the real exporter.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { exportModel, type ModelExport } from "../../src/migration/export.js";
import { generateModel, type Store } from "../../src/store/index.js";
import { clientFor, startFerryd, type Ferryd } from "../helpers/ferryd.js";
import { openTestStore, type TestStore } from "../helpers/stores.js";

const SOURCE_UUID = "11111111-0000-4000-8000-00000000abcd";
let dst: Ferryd;
let admin: string;
let t: TestStore;
let src: Store;

beforeAll(async () => {
  dst = await startFerryd({ name: "dst" });
  admin = (await clientFor(dst, ControllerService).login({ user: "admin", password: dst.adminPassword })).token;
  t = await openTestStore("sqlite");
  src = t.store;
});
afterAll(async () => {
  await t?.cleanup();
  await dst?.stop();
  dst?.cleanup();
});

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

async function tokenFor(modelUuid: string): Promise<string> {
  const res = await clientFor(dst, ControllerService, admin).createMigrationToken({
    modelUuid,
    sourceControllerUuid: SOURCE_UUID,
  });
  return res.token;
}

function header(e: ModelExport, uuid: string, name: string) {
  return {
    model: {
      uuid,
      name,
      owner: "admin",
      cloud: "localhost",
      cloudType: "lxd",
      region: "localhost",
      agentVersion: "1.0.0",
      controllerVersion: "1.0.0",
      controllerUuid: SOURCE_UUID,
      users: ["admin"],
    },
    migrationId: `${uuid}:0`,
    size: BigInt(e.size),
    sha256: e.sha256,
    entityCount: BigInt(e.entityCount),
  };
}

describe("MigrationTargetService on a real controller", () => {
  it("takes a model in 1 MiB chunks over TLS and makes it live on activation", async () => {
    const g = await generateModel(src, { units: 3000, name: "big" });
    const exp = await exportModel(src, g.uuid);
    expect(exp.size).toBeGreaterThan(2 * 1024 * 1024); // several full chunks
    const token = await tokenFor(g.uuid);
    const target = clientFor(dst, MigrationTargetService, token);
    const users = clientFor(dst, ModelService, admin);

    const pre = await target.prechecks({ model: header(exp, g.uuid, "big").model });
    expect(pre.violations).toEqual([]);
    async function* doc() {
      yield { data: { case: "header" as const, value: header(exp, g.uuid, "big") } };
      for await (const c of exp.chunks()) yield { data: { case: "chunk" as const, value: c } };
    }
    const imported = await target.import(doc());
    expect(imported.digest).toBe(exp.sha256);
    const hidden = await failure(users.getStatus({ model: g.uuid }));
    expect([hidden.code, hidden.rawMessage]).toEqual([Code.NotFound, "migration in progress, model is importing"]);

    for (const b of exp.binaries) {
      async function* bin() {
        yield {
          data: {
            case: "header" as const,
            value: { modelUuid: g.uuid, kind: "charm", name: b.name, size: BigInt(b.size), sha256: b.sha256 },
          },
        };
        for await (const c of exp.binary(b.name)) yield { data: { case: "chunk" as const, value: c } };
      }
      await target.uploadBinary(bin());
    }
    const counts = Object.fromEntries(Object.entries(exp.counts).map(([k, v]) => [k, BigInt(v)]));
    const v = await target.validate({ modelUuid: g.uuid, entityCounts: counts, digest: exp.sha256 });
    expect(v.mismatches).toEqual([]);
    await target.activate({ modelUuid: g.uuid, migrationId: `${g.uuid}:0` });
    await exp.close();

    const status = (await users.getStatus({ model: g.uuid })).status!;
    expect(status.model?.status?.current).toBe("available");
    expect(status.machines).toHaveLength(g.machines);
    expect(status.applications.flatMap((a) => a.units)).toHaveLength(3000);
    expect(status.relations).toHaveLength(g.relations);

    // The token is for this service only, and stops working when the migration completes.
    const scope = await failure(clientFor(dst, ModelService, token).getStatus({ model: g.uuid }));
    expect(scope.code).toBe(Code.PermissionDenied);
    await target.completeMigration({ modelUuid: g.uuid, migrationId: `${g.uuid}:0` });
    const revoked = await failure(target.getImportState({ modelUuid: g.uuid }));
    expect(revoked.code).toBe(Code.Unauthenticated);
  }, 60_000);

  it("answers a token for another model with PERMISSION_DENIED and a corrupted document with DATA_LOSS", async () => {
    const g = await generateModel(src, { units: 10, name: "small" });
    const exp = await exportModel(src, g.uuid);
    const target = clientFor(dst, MigrationTargetService, await tokenFor(g.uuid));
    const other = await failure(target.abort({ modelUuid: "99999999-0000-4000-8000-000000000000" }));
    expect(other.code).toBe(Code.PermissionDenied);
    async function* bad() {
      yield { data: { case: "header" as const, value: header(exp, g.uuid, "small") } };
      for await (const c of exp.chunks()) {
        const copy = Buffer.from(c);
        copy[copy.length - 3] ^= 1;
        yield { data: { case: "chunk" as const, value: copy } };
      }
    }
    const e = await failure(target.import(bad()));
    expect(e.code === Code.DataLoss || e.code === Code.InvalidArgument).toBe(true);
    expect(await target.getImportState({ modelUuid: g.uuid })).toMatchObject({ exists: false });
    expect(await target.abort({ modelUuid: g.uuid })).toMatchObject({ removed: false });
    await exp.close();
  });
});
