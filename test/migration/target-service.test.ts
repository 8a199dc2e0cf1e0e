// MigrationTargetService in memory (Connect router transport) over real
// stores: a source store exports, the service imports into the destination
// store (on each engine), with a migration principal injected as auth would.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  MigrationTargetService,
  type ImportRequestSchema,
  type UploadBinaryRequestSchema,
} from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { ControllerIdentity } from "../../src/domain/controller.js";
import { exportModel, type ModelExport } from "../../src/migration/export.js";
import { principalKey, type Principal } from "../../src/services/context.js";
import { createMigrationTargetService } from "../../src/services/migration-target-service.js";
import { resolveModel } from "../../src/services/model-access.js";
import { generateModel, type Store } from "../../src/store/index.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const SOURCE_UUID = "11111111-0000-4000-8000-000000000001";
const controller: ControllerIdentity = {
  uuid: "22222222-0000-4000-8000-000000000002",
  name: "dst",
  version: "1.0.0",
  cloud: "localhost",
  cloudType: "lxd",
  region: "localhost",
  regions: ["localhost", "other"],
  addresses: [],
  caCertPem: "",
  caFingerprint: "",
  controllerModelUuid: "",
};

describe.each(ENGINES)("destination on %s", (engine) => {
  let ts: TestStore;
  let td: TestStore;
  let src: Store;
  let dst: Store;
  let scheduled: string[];
  let uuid: string;
  let exp: ModelExport;

  function client(p: Partial<Principal> = {}) {
    const principal: Principal = {
      kind: "migration",
      user: "admin",
      controllerAccess: "login",
      modelUuid: uuid,
      sourceControllerUuid: SOURCE_UUID,
      tokenHash: "t",
      ...p,
    };
    const auth: Interceptor = (next) => (req) => {
      req.contextValues.set(principalKey, principal);
      return next(req);
    };
    const service = createMigrationTargetService({
      store: dst,
      controller,
      simulator: { schedule: (u) => scheduled.push(u) },
    });
    return createClient(
      MigrationTargetService,
      createRouterTransport((r) => r.service(MigrationTargetService, service), { router: { interceptors: [auth] } }),
    );
  }
  let svc: ReturnType<typeof client>;

  beforeEach(async () => {
    ts = await openTestStore("sqlite");
    td = await openTestStore(engine);
    src = ts.store;
    dst = td.store;
    await dst.write(async (tx) => {
      for (const name of ["admin", "bob"]) {
        await tx.users.insert({ name, access: "login", passwordHash: null, createdBy: "", now: 0 });
      }
    });
    uuid = (await generateModel(src, { units: 30, unitsPerApplication: 10, users: ["bob"], name: "moving" })).uuid;
    exp = await exportModel(src, uuid);
    scheduled = [];
    svc = client();
  });
  afterEach(async () => {
    await exp.close();
    await ts.cleanup();
    await td.cleanup();
  });

  const token = (hash: string, expiresAt: number) =>
    dst.write((tx) => tx.tokens.insert({ hash, kind: "migration", user: "admin", modelUuid: uuid, now: 0, expiresAt }));
  const tokenRow = (hash: string) => dst.read((tx) => tx.tokens.get(hash));
  const resolve = (p: Principal) => dst.read((tx) => resolveModel(tx, p, uuid, "read"));

  const migrationId = () => `${uuid}:0`;
  const info = () => ({
    uuid,
    name: "moving",
    owner: "admin",
    cloud: "localhost",
    cloudType: "lxd",
    region: "localhost",
    agentVersion: "1.0.0",
    controllerVersion: "1.0.0",
    controllerUuid: SOURCE_UUID,
    users: ["admin", "bob"],
  });

  type ImportMsg = MessageInitShape<typeof ImportRequestSchema>;

  async function* importStream(e: ModelExport, mutate?: (c: Uint8Array) => Uint8Array): AsyncGenerator<ImportMsg> {
    yield {
      data: {
        case: "header",
        value: {
          model: info(),
          migrationId: migrationId(),
          size: BigInt(e.size),
          sha256: e.sha256,
          entityCount: BigInt(e.entityCount),
        },
      },
    };
    for await (const c of e.chunks()) yield { data: { case: "chunk", value: mutate ? mutate(c) : c } };
  }

  async function* uploadStream(
    name: string,
    bytes?: Uint8Array,
  ): AsyncGenerator<MessageInitShape<typeof UploadBinaryRequestSchema>> {
    const b = exp.binaries.find((x) => x.name === name)!;
    yield {
      data: { case: "header", value: { modelUuid: uuid, kind: "charm", name, size: BigInt(b.size), sha256: b.sha256 } },
    };
    if (bytes) yield { data: { case: "chunk", value: bytes } };
    else for await (const c of exp.binary(name)) yield { data: { case: "chunk", value: c } };
  }

  async function failure(p: Promise<unknown>): Promise<ConnectError> {
    try {
      await p;
    } catch (e) {
      return ConnectError.from(e);
    }
    throw new Error("expected the call to fail");
  }
  const reason = (e: ConnectError) => e.findDetails(ErrorInfoSchema)[0]?.reason;

  const counts = () => Object.fromEntries(Object.entries(exp.counts).map(([k, v]) => [k, BigInt(v)]));

  describe("prechecks", () => {
    it("pass for a model the destination can take", async () => {
      const res = await svc.prechecks({ model: info() });
      expect(res).toMatchObject({ controllerUuid: controller.uuid, controllerVersion: "1.0.0", violations: [] });
    });

    it("report every failure at once", async () => {
      await dst.write((tx) =>
        tx.models.create({
          name: "moving",
          owner: "admin",
          cloud: "x",
          cloudType: "lxd",
          region: "r",
          agentVersion: "1",
        }),
      );
      const res = await svc.prechecks({
        model: {
          ...info(),
          cloud: "aws",
          cloudType: "ec2",
          region: "moon",
          controllerVersion: "1.10.0",
          users: ["admin", "carol", "bob", "dave"],
        },
      });
      expect(res.violations.map((v) => v.message)).toEqual([
        "destination controller version 1.0.0 is older than source 1.10.0",
        'destination controller is in cloud "localhost", model is in cloud "aws"',
        'destination cloud type "lxd" differs from "ec2"',
        'model named "moving" already exists on destination controller',
        'user "carol" does not exist on destination controller',
        'user "dave" does not exist on destination controller',
      ]);
      expect(res.violations.filter((v) => v.code === "MISSING_USER").map((v) => v.subject)).toEqual(["carol", "dave"]);
    });

    it("report a region the destination does not offer, and a live model with the same UUID", async () => {
      await dst.write((tx) =>
        tx.models.create({
          uuid,
          name: "x",
          owner: "admin",
          cloud: "c",
          cloudType: "lxd",
          region: "r",
          agentVersion: "1",
        }),
      );
      const res = await svc.prechecks({ model: { ...info(), region: "moon" } });
      expect(res.violations.map((v) => v.message)).toEqual([
        'region "moon" not available on destination controller',
        "model with same UUID already exists",
      ]);
    });
  });

  describe("authorisation", () => {
    it("needs a migration token bound to the model named", async () => {
      const other = client({ modelUuid: "33333333-0000-4000-8000-000000000003" });
      const e = await failure(other.getImportState({ modelUuid: uuid }));
      expect([e.code, reason(e)]).toEqual([Code.PermissionDenied, "TOKEN_MODEL_MISMATCH"]);
      const user = client({ kind: "user", controllerAccess: "superuser" });
      expect((await failure(user.abort({ modelUuid: uuid }))).code).toBe(Code.PermissionDenied);
      const wrongSource = client({ sourceControllerUuid: "44444444-0000-4000-8000-000000000004" });
      expect((await failure(wrongSource.prechecks({ model: info() }))).code).toBe(Code.PermissionDenied);
      expect((await failure(svc.validate({ modelUuid: "" }))).code).toBe(Code.InvalidArgument);
    });
  });

  describe("a whole migration on the destination", () => {
    it("imports, uploads, validates, activates and takes the logs", async () => {
      const res = await svc.import(importStream(exp));
      expect(res).toMatchObject({ entityCount: BigInt(exp.entityCount), digest: exp.sha256 });
      // Invisible to users until activated, even to a superuser.
      const admin: Principal = { kind: "user", user: "admin", controllerAccess: "superuser", tokenHash: "x" };
      await expect(resolve(admin)).rejects.toThrow(/migration in progress, model is importing/);
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({
        exists: true,
        activated: false,
        migrationId: migrationId(),
      });

      // Binaries missing: validation says so and activation is refused.
      const v1 = await svc.validate({ modelUuid: uuid, entityCounts: counts(), digest: exp.sha256 });
      expect(v1.mismatches).toEqual([
        "binary missing: charm ferry:postgresql-3",
        "binary missing: charm ferry:wordpress-3",
      ]);
      const notValid = await failure(svc.activate({ modelUuid: uuid, migrationId: migrationId() }));
      expect(notValid.code).toBe(Code.FailedPrecondition);

      for (const b of exp.binaries) expect((await svc.uploadBinary(uploadStream(b.name))).size).toBe(BigInt(b.size));
      const wrong = await svc.validate({ modelUuid: uuid, entityCounts: { ...counts(), units: 99n }, digest: "ab" });
      expect(wrong.mismatches).toEqual([
        "units: exported 99, imported 30",
        `digest: exported ab, imported ${exp.sha256}`,
      ]);
      const v2 = await svc.validate({ modelUuid: uuid, entityCounts: counts(), digest: exp.sha256 });
      expect(v2).toMatchObject({ mismatches: [], digest: exp.sha256, entityCounts: counts() });

      // The calling token ("t") is about to expire; Activate extends it by 7 days.
      await token("t", Date.now() + 1000);
      const act = await svc.activate({ modelUuid: uuid, migrationId: migrationId() });
      const week = 7 * 24 * 3600 * 1000;
      const extended = (await tokenRow("t"))!;
      expect(extended.expiresAt).toBeGreaterThan(Date.now() + week - 60_000);
      const again = await svc.activate({ modelUuid: uuid, migrationId: migrationId() });
      expect(again.activateTime).toEqual(act.activateTime);
      expect(scheduled).toContain(uuid);
      expect((await resolve(admin)).model.status).toBe("available");
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: true, activated: true });
      const abort = await failure(svc.abort({ modelUuid: uuid }));
      expect([abort.code, reason(abort)]).toEqual([Code.FailedPrecondition, "MODEL_ACTIVATED"]);

      const none = await svc.latestLogTime({ modelUuid: uuid });
      expect([none.seq, none.time]).toEqual([0n, undefined]);
      const entry = (seq: number) => ({
        seq: BigInt(seq),
        time: timestampFromMs(5000 + seq),
        entity: "model",
        level: "INFO",
        module: "m",
        message: `m${seq}`,
      });
      async function* logs(seqs: number[][]) {
        for (const s of seqs) yield { modelUuid: uuid, entries: s.map(entry) };
      }
      expect((await svc.transferLogs(logs([[1, 2], [4]]))).count).toBe(3n);
      // The source retries from what it had sent: nothing is stored twice.
      expect((await svc.transferLogs(logs([[2, 4, 7]]))).count).toBe(1n);
      const latest = await svc.latestLogTime({ modelUuid: uuid });
      expect([latest.seq, Number(latest.time?.seconds) * 1000 + (latest.time?.nanos ?? 0) / 1e6]).toEqual([7n, 5007]);

      await token("h", 9e12);
      await svc.completeMigration({ modelUuid: uuid, migrationId: migrationId() });
      await svc.completeMigration({ modelUuid: uuid, migrationId: migrationId() });
      // Only the calling token ("t") is revoked; another token of the model lives on.
      expect([await tokenRow("t"), (await tokenRow("h"))?.hash]).toEqual([undefined, "h"]);
    });

    it("CompleteMigration without a migration id revokes only the calling (unused) token", async () => {
      for (const hash of ["t", "h"]) await token(hash, 9e12);
      await svc.completeMigration({ modelUuid: uuid });
      expect([await tokenRow("t"), (await tokenRow("h"))?.hash]).toEqual([undefined, "h"]);
      const bad = await failure(svc.completeMigration({ modelUuid: uuid, migrationId: "nonsense" }));
      expect(bad.code).toBe(Code.InvalidArgument);
    });

    it("refuses a corrupted chunk with DATA_LOSS and leaves nothing behind", async () => {
      const e = await failure(
        svc.import(
          importStream(exp, (c) => {
            const copy = Buffer.from(c);
            copy[copy.indexOf("idle")] = "I".charCodeAt(0);
            return copy;
          }),
        ),
      );
      expect([e.code, reason(e)]).toEqual([Code.DataLoss, "DESCRIPTION_MISMATCH"]);
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: false });
      expect(await svc.abort({ modelUuid: uuid })).toMatchObject({ removed: false });
    });

    it("refuses malformed streams with INVALID_ARGUMENT", async () => {
      async function* noHeader(): AsyncGenerator<ImportMsg> {
        yield { data: { case: "chunk", value: new Uint8Array(3) } };
      }
      expect((await failure(svc.import(noHeader()))).code).toBe(Code.InvalidArgument);
      const huge = await failure(svc.import(importStream(exp, () => new Uint8Array(1024 * 1024 + 1))));
      expect([huge.code, huge.rawMessage]).toEqual([
        Code.InvalidArgument,
        "chunk: chunks must be at most 1048576 bytes (got 1048577)",
      ]);
      async function* badId(): AsyncGenerator<ImportMsg> {
        yield {
          data: { case: "header", value: { model: info(), migrationId: "nope", size: 10n, sha256: exp.sha256 } },
        };
      }
      expect((await failure(svc.import(badId()))).code).toBe(Code.InvalidArgument);
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: false });
    });

    it("verifies uploaded binaries", async () => {
      await svc.import(importStream(exp));
      const bad = await failure(
        svc.uploadBinary(uploadStream("ferry:wordpress-3", new Uint8Array(exp.binaries[1]!.size))),
      );
      expect([bad.code, bad.rawMessage]).toEqual([Code.DataLoss, expect.stringMatching(/SHA-256 mismatch/)]);
      async function* unknown() {
        yield {
          data: {
            case: "header" as const,
            value: { modelUuid: uuid, kind: "charm", name: "local:evil-1", size: 1n, sha256: "a".repeat(64) },
          },
        };
      }
      expect((await failure(svc.uploadBinary(unknown()))).code).toBe(Code.FailedPrecondition);
    });

    it("lets an abort cancel an import whose stream stalled, and removes it", async () => {
      let release!: () => void;
      const stalled = new Promise<void>((r) => (release = r));
      // Resolves once the service has taken both messages and waits for a third:
      // the import is registered and running.
      let reachedStall!: () => void;
      const atStall = new Promise<void>((r) => (reachedStall = r));
      async function* slow(): AsyncGenerator<ImportMsg> {
        const it = importStream(exp);
        yield (await it.next()).value as ImportMsg;
        yield (await it.next()).value as ImportMsg;
        reachedStall();
        await stalled;
      }
      const running = failure(svc.import(slow()));
      await atStall;
      expect(await svc.abort({ modelUuid: uuid })).toMatchObject({ removed: false }); // the import removed its own rows
      const e = await running;
      expect(e.code).toBe(Code.Aborted);
      release();
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: false });
      // A fresh Import works afterwards (an idempotent retry).
      await svc.import(importStream(exp));
      await svc.import(importStream(exp));
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: true, migrationId: migrationId() });
      expect(await svc.abort({ modelUuid: uuid })).toMatchObject({ removed: true });
      expect(await svc.abort({ modelUuid: uuid })).toMatchObject({ removed: false });
    });

    it("an Abort naming another attempt leaves this attempt's import (running or finished) alone", async () => {
      const other = `${uuid}:7`;
      let release!: () => void;
      const stalled = new Promise<void>((r) => (release = r));
      // Resolves once the service has taken both messages and waits for a third:
      // the import is registered and running.
      let reachedStall!: () => void;
      const atStall = new Promise<void>((r) => (reachedStall = r));
      async function* slow(): AsyncGenerator<ImportMsg> {
        const it = importStream(exp);
        yield (await it.next()).value as ImportMsg;
        yield (await it.next()).value as ImportMsg;
        reachedStall();
        await stalled;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value;
        }
      }
      const running = svc.import(slow());
      await atStall;
      // A late cleanup of another attempt neither cancels nor removes it.
      const late = svc.abort({ modelUuid: uuid, migrationId: other });
      release();
      expect((await running).digest).toBe(exp.sha256);
      expect(await late).toMatchObject({ removed: false });
      expect(await svc.abort({ modelUuid: uuid, migrationId: other })).toMatchObject({ removed: false });
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: true, migrationId: migrationId() });
      expect((await failure(svc.abort({ modelUuid: uuid, migrationId: "x" }))).code).toBe(Code.InvalidArgument);
      // Its own attempt's Abort removes it.
      expect(await svc.abort({ modelUuid: uuid, migrationId: migrationId() })).toMatchObject({ removed: true });
      expect(await svc.getImportState({ modelUuid: uuid })).toMatchObject({ exists: false });
    });
  });
});
