// The commit point, against a scripted destination (a real TLS gRPC server
// with a fake MigrationTargetService): once activation was recorded as sent
// (migrations.activation_sent_at, data, not the status message), the worker
// asks the destination before doing anything else, and never aborts a
// migration the destination may have activated (never two owners).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MESSAGES, type Phase } from "../../src/domain/phases.js";
import { exportModel } from "../../src/migration/export.js";
import { createSecretBox } from "../../src/migration/secrets.js";
import { DEFAULT_WORKER_OPTIONS, MigrationWorker } from "../../src/migration/worker.js";
import { ensurePki, type Pki } from "../../src/pki/index.js";
import { principalKey } from "../../src/services/context.js";
import { createMigrationService } from "../../src/services/migration-service.js";
import type { Cluster } from "../../src/cluster/cluster.js";
import { openStore, type Store } from "../../src/store/index.js";
import { startTestNode } from "../helpers/stores.js";
import { serviceRegistration, startServer, type RunningServer } from "../../src/transport/server.js";
import { createLogger } from "../../src/transport/log.js";

const DST = "9d1e0c57-0000-4000-8000-000000000002";
const quiet = { info() {}, warn() {}, error() {} };

/** What the scripted destination does, and what it was asked. */
interface Script {
  state: { exists: boolean; activated: boolean };
  activate: () => void;
  calls: string[];
  /** Abort throws this (e.g. FAILED_PRECONDITION / MODEL_ACTIVATED). */
  abortError?: ConnectError;
  /** LatestLogTime throws this (e.g. a revoked token). */
  logsError?: ConnectError;
}

let dir: string;
let pki: Pki;
let server: RunningServer;
let script: Script;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ferry-commit-"));
  pki = await ensurePki(join(dir, "pki"), { controllerName: "fake-dst", hostnames: [] });
  const rec = (name: string) => script.calls.push(name);
  server = await startServer({
    address: "127.0.0.1:0",
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
    logger: createLogger({ level: "error" }),
    services: [
      serviceRegistration(ControllerService, {
        getControllerInfo: () => ({ controller: { uuid: DST, version: "1.0.0" } }),
      }),
      serviceRegistration(MigrationTargetService, {
        getImportState: () => (rec("getImportState"), { ...script.state, migrationId: "" }),
        validate: () => (rec("validate"), { mismatches: [] }),
        activate: () => (rec("activate"), script.activate(), {}),
        abort: () => {
          rec("abort");
          if (script.abortError) throw script.abortError;
          return { removed: script.state.exists };
        },
        latestLogTime: () => {
          rec("latestLogTime");
          if (script.logsError) throw script.logsError;
          return { seq: 0n };
        },
        transferLogs: async (reqs) => {
          let n = 0n;
          for await (const r of reqs) n += BigInt(r.entries.length);
          rec("transferLogs");
          return { count: n };
        },
        completeMigration: () => (rec("completeMigration"), {}),
      }),
    ],
  });
});

afterAll(async () => {
  await server?.shutdown(1000);
  rmSync(dir, { recursive: true, force: true });
});

let worker: MigrationWorker | undefined;
let node: Cluster | undefined;
afterEach(async () => {
  await worker?.stop();
  await node?.stop();
  await store?.close();
});

const getMigration = (id: string) => store.read((tx) => tx.migrations.get(id));
const modelRow = (uuid: string) => store.read((tx) => tx.models.byUuid(uuid));
const redirectOf = (uuid: string) => store.read((tx) => tx.redirects.byUuid(uuid));

/**
 * A source store with one (empty) model frozen in a migration at `phase`
 * with `message`; `activationSent`: Activate was recorded as sent.
 */
async function sourceAt(phase: Phase, message: string, activationSent = false): Promise<{ id: string; uuid: string }> {
  store = await openStore({ engine: "sqlite", file: join(mkdtempSync(join(dir, "src-")), "ferry.db") });
  const secrets = createSecretBox(dir);
  const m = await store.write(async (tx) => {
    await tx.users.insert({ name: "admin", access: "superuser", passwordHash: null, createdBy: "", now: 1 });
    const row = await tx.models.create({
      name: "m",
      owner: "admin",
      cloud: "localhost",
      cloudType: "lxd",
      region: "localhost",
      agentVersion: "1.0.0",
    });
    await tx.models.setMigrationMode(row.uuid, "exporting");
    const id = `${row.uuid}:0`;
    await tx.migrations.insert({
      id,
      modelUuid: row.uuid,
      attempt: 0,
      modelName: "m",
      modelOwner: "admin",
      initiatedBy: "admin",
      phase,
      phaseChangedAt: 1,
      statusMessage: message,
      activationSentAt: activationSent ? 1 : null,
      startedAt: 1,
      targetControllerUuid: DST,
      targetControllerName: "dst",
      targetAddresses: JSON.stringify([`127.0.0.1:${server.port}`]),
      targetCaCert: pki.caCertPem,
      targetToken: secrets.seal("secret-token", id),
      exportCounts: "{}",
      exportDigest: "d",
      phaseTimings: JSON.stringify([{ phase, start: 1 }]),
    });
    return { id, uuid: row.uuid };
  });
  node = await startTestNode(store, { dataDir: mkdtempSync(join(dir, "node-")) });
  worker = new MigrationWorker({
    store,
    leases: node,
    controller: { uuid: "3b4e0c57-0000-4000-8000-000000000001", name: "src", version: "1.0.0" } as never,
    changes: store.changes,
    simulator: { schedule() {}, resume: async () => {}, stop() {} },
    secrets,
    exportModel,
    log: quiet,
    options: { ...DEFAULT_WORKER_OPTIONS, retryBudgetMs: 300, retryBaseMs: 20, retryMaxMs: 50 },
  });
  return m;
}

async function finalPhase(id: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const row = (await getMigration(id))!;
    if (["DONE", "ABORTDONE", "REAPFAILED"].includes(row.phase) && !row.targetToken) return row.phase;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("migration did not finish");
}

describe("the commit point", () => {
  it("after a crash while activating, an activated destination means SUCCESS: no re-validation, no abort", async () => {
    script = { state: { exists: true, activated: true }, activate: () => {}, calls: [] };
    const { id, uuid } = await sourceAt("VALIDATION", MESSAGES.activating, true);
    await worker!.resume();
    expect(await finalPhase(id)).toBe("DONE");
    expect(script.calls).not.toContain("validate");
    expect(script.calls).not.toContain("activate");
    expect(script.calls).not.toContain("abort");
    expect(script.calls).toContain("completeMigration");
    expect((await redirectOf(uuid))?.controllerUuid).toBe(DST);
  });

  it("decides on the recorded stage, not on the message: 'activating' shown but never sent validates first", async () => {
    script = { state: { exists: true, activated: false }, activate: () => (script.state.activated = true), calls: [] };
    const { id } = await sourceAt("VALIDATION", MESSAGES.activating, false);
    await worker!.resume();
    expect(await finalPhase(id)).toBe("DONE");
    expect(script.calls.indexOf("validate")).toBeLessThan(script.calls.indexOf("activate"));
  });

  it("an Activate whose answer was lost, but which happened, is a success", async () => {
    script = {
      state: { exists: true, activated: false },
      activate: () => {
        script.state.activated = true;
        throw new ConnectError("connection reset", Code.Unavailable);
      },
      calls: [],
    };
    const { id } = await sourceAt("VALIDATION", MESSAGES.validatingAgents);
    await worker!.resume();
    expect(await finalPhase(id)).toBe("DONE");
    expect(script.calls.filter((c) => c === "activate")).toHaveLength(1);
    expect(script.calls).not.toContain("abort");
  });

  it("an Activate that keeps failing, with the destination saying it did not happen, aborts", async () => {
    script = {
      state: { exists: true, activated: false },
      activate: () => {
        throw new ConnectError("busy", Code.Unavailable);
      },
      calls: [],
    };
    const { id, uuid } = await sourceAt("VALIDATION", MESSAGES.validatingAgents);
    await worker!.resume();
    expect(await finalPhase(id)).toBe("ABORTDONE");
    const row = (await getMigration(id))!;
    expect(row.failure).toBe("cannot connect to destination controller: busy");
    expect(row.activationSentAt).not.toBeNull();
    expect(script.calls).toContain("abort");
    const model = (await modelRow(uuid))!;
    expect(model.migrationMode).toBe("none");
    expect(model.status).toBe("available");
  });
});

describe("AbortMigration at the commit point", () => {
  function abortAs(id: string) {
    const svc = createMigrationService({
      store,
      controller: { uuid: "3b4e0c57-0000-4000-8000-000000000001", name: "src", version: "1.0.0" } as never,
      changes: store.changes,
      secrets: createSecretBox(dir),
      worker: { start() {}, requestAbort() {} },
    });
    const values = createContextValues().set(principalKey, {
      kind: "user",
      user: "admin",
      controllerAccess: "superuser",
      tokenHash: "x",
    });
    return Promise.resolve().then(() => svc.abortMigration!({ id } as never, { values } as never));
  }

  it("is refused once activation is recorded as sent, and leaves no failure behind", async () => {
    const { id } = await sourceAt("VALIDATION", MESSAGES.activating, true);
    const err = await abortAs(id).then(
      () => undefined,
      (e: unknown) => e as ConnectError,
    );
    expect(err?.code).toBe(Code.FailedPrecondition);
    expect(err?.rawMessage).toContain("past the point of no return");
    expect(err?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("MIGRATION_COMMITTED");
    const row = (await getMigration(id))!;
    expect([row.failure, row.abortRequested]).toEqual(["", false]);
  });

  it("is accepted while validating, before activating", async () => {
    const { id } = await sourceAt("VALIDATION", MESSAGES.validatingAgents);
    await abortAs(id);
    expect((await getMigration(id))!.abortRequested).toBe(true);
  });

  it("a failure recorded before the commit point does not survive to DONE", async () => {
    script = { state: { exists: true, activated: true }, activate: () => {}, calls: [] };
    const { id, uuid } = await sourceAt("VALIDATION", MESSAGES.activating, true);
    await store.write((tx) => tx.migrations.update({ id, modelUuid: uuid }, { failure: "stale cause" }));
    await worker!.resume();
    expect(await finalPhase(id)).toBe("DONE");
    expect((await getMigration(id))!.failure).toBe("");
  });
});

describe("permanent refusals", () => {
  it("after SUCCESS, a destination refusing the logs for good does not hold the migration: it reaps", async () => {
    for (const code of [Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.FailedPrecondition]) {
      script = {
        state: { exists: true, activated: true },
        activate: () => {},
        calls: [],
        logsError: new ConnectError("token revoked", code),
      };
      const { id, uuid } = await sourceAt("LOGTRANSFER", MESSAGES.transferringLogs(0));
      await worker!.resume();
      expect(await finalPhase(id)).toBe("DONE");
      expect(script.calls.filter((c) => c === "latestLogTime")).toHaveLength(1);
      expect((await redirectOf(uuid))?.controllerUuid).toBe(DST);
      await worker!.stop();
      worker = undefined;
      await node!.stop();
      node = undefined;
      await store.close();
    }
  });

  it("an ABORT the destination refuses because it activated the model keeps the model frozen", async () => {
    script = {
      state: { exists: true, activated: true },
      activate: () => {},
      calls: [],
      abortError: new ConnectError("model was already activated", Code.FailedPrecondition, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "MODEL_ACTIVATED", domain: "ferry" } },
      ]),
    };
    const { id, uuid } = await sourceAt("ABORT", MESSAGES.aborted("user requested abort"));
    await worker!.resume();
    let row = (await getMigration(id))!;
    for (let i = 0; i < 300 && !row.failure; i++) {
      await new Promise((r) => setTimeout(r, 10));
      row = (await getMigration(id))!;
    }
    expect(row.phase).toBe("ABORT");
    expect(row.failure).toMatch(/activated the model and owns it.*an operator must intervene/);
    expect(row.targetToken).not.toBe("");
    const model = (await modelRow(uuid))!;
    expect(model.migrationMode).toBe("exporting");
    await new Promise((r) => setTimeout(r, 100));
    expect((await getMigration(id))!.phase).toBe("ABORT");
    expect(script.calls.filter((c) => c === "abort")).toHaveLength(1);
  });
});
