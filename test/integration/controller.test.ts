// ControllerService and authentication against a real ferryd over TLS.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { ControllerAccess, ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { fingerprint } from "../../src/pki/index.js";
import { clientFor, startFerryd, storeOf, type Ferryd } from "../helpers/ferryd.js";
import { ENGINES } from "../helpers/stores.js";

describe.each(ENGINES)("a controller on %s", (engine) => {
  let ctl: Ferryd;

  async function login(user: string, password: string): Promise<string> {
    const res = await clientFor(ctl, ControllerService).login({ user, password });
    return res.token;
  }

  async function failure(p: Promise<unknown>): Promise<ConnectError> {
    try {
      await p;
    } catch (e) {
      return ConnectError.from(e);
    }
    throw new Error("expected the call to fail");
  }

  beforeAll(async () => {
    ctl = await startFerryd({ name: "authctl", store: engine, env: { FERRY_TOKEN_TTL: "3" } });
  });
  afterAll(async () => {
    await ctl?.stop();
    ctl?.cleanup();
  });

  describe("controller identity", () => {
    it("is public and carries the CA and its fingerprint", async () => {
      const { controller } = await clientFor(ctl, ControllerService).getControllerInfo({});
      expect(controller?.name).toBe("authctl");
      expect(controller?.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(controller?.caCert).toBe(ctl.caPem);
      expect(controller?.caFingerprint).toBe(fingerprint(ctl.caPem));
      expect(controller?.apiAddresses).toEqual([ctl.address]);
      expect(controller?.cloudType).toBe("lxd");
    });
  });

  describe("login", () => {
    it("gives a token that works, and whoami names the user", async () => {
      const token = await login("admin", ctl.adminPassword);
      const me = await clientFor(ctl, ControllerService, token).whoAmI({});
      expect(me.user?.name).toBe("admin");
      expect(me.user?.access).toBe(ControllerAccess.SUPERUSER);
    });

    it("refuses a wrong password and an unknown user alike", async () => {
      const a = await failure(login("admin", "not-the-password"));
      const b = await failure(login("nobody", "whatever-pw"));
      expect(a.code).toBe(Code.Unauthenticated);
      expect(b.code).toBe(Code.Unauthenticated);
      expect(a.rawMessage).toBe(b.rawMessage);
      expect(a.findDetails(ErrorInfoSchema)[0]?.reason).toBe("INVALID_CREDENTIALS");
    });

    it("calls without a token are UNAUTHENTICATED", async () => {
      const err = await failure(clientFor(ctl, ModelService).listModels({}));
      expect(err.code).toBe(Code.Unauthenticated);
      const bad = await failure(clientFor(ctl, ModelService, "forged-token").listModels({}));
      expect(bad.code).toBe(Code.Unauthenticated);
    });

    it("tokens expire", async () => {
      const token = await login("admin", ctl.adminPassword);
      await clientFor(ctl, ControllerService, token).whoAmI({});
      await new Promise((r) => setTimeout(r, 3200));
      const err = await failure(clientFor(ctl, ControllerService, token).whoAmI({}));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("TOKEN_EXPIRED");
    });

    it("logout revokes the token", async () => {
      const token = await login("admin", ctl.adminPassword);
      await clientFor(ctl, ControllerService, token).logout({});
      const err = await failure(clientFor(ctl, ControllerService, token).whoAmI({}));
      expect(err.code).toBe(Code.Unauthenticated);
    });
  });

  describe("users and access", () => {
    it("a read-only user can read but not deploy; a stranger cannot see the model", async () => {
      const admin = await login("admin", ctl.adminPassword);
      const ctlc = clientFor(ctl, ControllerService, admin);
      await ctlc.createUser({ name: "bob", password: "bob-password" });
      await ctlc.createUser({ name: "eve", password: "eve-password" });
      const models = clientFor(ctl, ModelService, admin);
      await models.createModel({ name: "shared" });
      const granted = await ctlc.grantModelAccess({ user: "bob", model: "admin/shared", access: ModelAccess.READ });
      expect(granted.access).toBe(ModelAccess.READ);

      const bob = clientFor(ctl, ModelService, await login("bob", "bob-password"));
      const st = await bob.getStatus({ model: "admin/shared" });
      expect(st.status?.model?.name).toBe("shared");
      const denied = await failure(bob.deployApplication({ model: "admin/shared", charm: "ubuntu" }));
      expect(denied.code).toBe(Code.PermissionDenied);

      const eve = clientFor(ctl, ModelService, await login("eve", "eve-password"));
      const hidden = await failure(eve.getStatus({ model: "admin/shared" }));
      expect(hidden.code).toBe(Code.NotFound);
      const missing = await failure(eve.getStatus({ model: "admin/does-not-exist" }));
      expect(hidden.rawMessage.replace("shared", "X")).toBe(missing.rawMessage.replace("does-not-exist", "X"));

      // Non-superusers may not manage users.
      const bobCtl = clientFor(ctl, ControllerService, await login("bob", "bob-password"));
      expect((await failure(bobCtl.createUser({ name: "mallory", password: "12345678" }))).code).toBe(
        Code.PermissionDenied,
      );

      // Revoking read removes access entirely. (A fresh admin session: tokens
      // here last 3 s, and the logins above hash passwords slowly on purpose.)
      const fresh = clientFor(ctl, ControllerService, await login("admin", ctl.adminPassword));
      const revoked = await fresh.revokeModelAccess({ user: "bob", model: "admin/shared", access: ModelAccess.READ });
      expect(revoked.access).toBe(ModelAccess.UNSPECIFIED);
      const bobAgain = clientFor(ctl, ModelService, await login("bob", "bob-password"));
      expect((await failure(bobAgain.getStatus({ model: "admin/shared" }))).code).toBe(Code.NotFound);
    });

    it("bad user names get INVALID_ARGUMENT naming the field", async () => {
      const admin = clientFor(ctl, ControllerService, await login("admin", ctl.adminPassword));
      const err = await failure(admin.createUser({ name: "-bad name", password: "long-enough" }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("name");
      const short = await failure(admin.createUser({ name: "carol", password: "short" }));
      expect(short.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("password");
      const dup = await failure(admin.createUser({ name: "admin", password: "long-enough" }));
      expect(dup.code).toBe(Code.AlreadyExists);
    });

    it("changing a password ends the user's other sessions", async () => {
      const admin = clientFor(ctl, ControllerService, await login("admin", ctl.adminPassword));
      await admin.createUser({ name: "dave", password: "dave-password" });
      const old = await login("dave", "dave-password");
      await admin.setUserPassword({ user: "dave", password: "dave-new-password" });
      expect((await failure(clientFor(ctl, ControllerService, old).whoAmI({}))).code).toBe(Code.Unauthenticated);
      expect((await failure(login("dave", "dave-password"))).code).toBe(Code.Unauthenticated);
      await login("dave", "dave-new-password");
    });

    it("users list pages", async () => {
      const admin = clientFor(ctl, ControllerService, await login("admin", ctl.adminPassword));
      for (const n of ["p1", "p2", "p3"]) await admin.createUser({ name: n, password: "pw-long-enough" });
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await admin.listUsers({ pageSize: 2, pageToken });
        expect(page.users.length).toBeLessThanOrEqual(2);
        seen.push(...page.users.map((u) => u.name));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining(["admin", "p1", "p2", "p3"]));
      const bad = await failure(admin.listUsers({ pageToken: "garbage!" }));
      expect(bad.code).toBe(Code.InvalidArgument);
    });
  });

  describe("limits and unimplemented services", () => {
    it("an oversized request fails with RESOURCE_EXHAUSTED and the server keeps serving", async () => {
      const admin = await login("admin", ctl.adminPassword);
      const models = clientFor(ctl, ModelService, admin);
      const err = await failure(models.createModel({ name: "big", config: { blob: "x".repeat(5 * 1024 * 1024) } }));
      expect(err.code).toBe(Code.ResourceExhausted);
      const ok = await models.listModels({});
      expect(ok.models.length).toBeGreaterThan(0);
    });

    it("the migration service is served (no migrations yet)", async () => {
      const admin = await login("admin", ctl.adminPassword);
      const res = await clientFor(ctl, MigrationService, admin).listMigrations({});
      expect(res.migrations).toEqual([]);
    });
  });

  describe("migration tokens", () => {
    it("are superuser-only and scoped to the migration target service", async () => {
      const admin = clientFor(ctl, ControllerService, await login("admin", ctl.adminPassword));
      const { token } = await admin.createMigrationToken({
        modelUuid: "5f227519-3cdb-4538-871c-1c4589a4598a",
        sourceControllerUuid: "3b4e0c57-0000-4000-8000-000000000000",
      });
      const misuse = await failure(clientFor(ctl, ModelService, token).listModels({}));
      expect(misuse.code).toBe(Code.PermissionDenied);
      const bob = clientFor(ctl, ControllerService, await login("bob", "bob-password"));
      const denied = await failure(
        bob.createMigrationToken({
          modelUuid: "5f227519-3cdb-4538-871c-1c4589a4598a",
          sourceControllerUuid: "3b4e0c57-0000-4000-8000-000000000000",
        }),
      );
      expect(denied.code).toBe(Code.PermissionDenied);
    });
  });

  describe("restart", () => {
    it("keeps identity, CA and data across a graceful restart", async () => {
      const before = await clientFor(ctl, ControllerService).getControllerInfo({});
      const code = await ctl.stop();
      expect(code).toBe(0);
      expect(ctl.output()).toContain("controller stopped");
      ctl = await startFerryd({
        name: "authctl",
        dataDir: ctl.dataDir,
        store: storeOf(ctl),
        env: { FERRY_TOKEN_TTL: "3" },
      });
      const after = await clientFor(ctl, ControllerService).getControllerInfo({});
      expect(after.controller?.uuid).toBe(before.controller?.uuid);
      expect(after.controller?.caFingerprint).toBe(before.controller?.caFingerprint);
      const admin = await login("admin", ctl.adminPassword);
      const { models } = await clientFor(ctl, ModelService, admin).listModels({});
      expect(models.map((m) => m.name)).toEqual(expect.arrayContaining(["controller", "shared"]));
    });
  });
});
