// The commit point, against a scripted destination (a real TLS gRPC server
// with a fake MigrationTargetService): once "activating" was recorded, the
// worker asks the destination before doing anything else, and never aborts a
// migration the destination may have activated (never two owners).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { MESSAGES, type Phase } from "../../src/domain/phases.js";
import { exportModel } from "../../src/migration/export.js";
import { createSecretBox } from "../../src/migration/secrets.js";
import { DEFAULT_WORKER_OPTIONS, MigrationWorker } from "../../src/migration/worker.js";
import { ensurePki, type Pki } from "../../src/pki/index.js";
import { createChangeHub } from "../../src/services/changes.js";
import { openStore, type Store } from "../../src/store/db.js";
import { getMigration, insertMigration } from "../../src/store/migration-repo.js";
import { createModelRow } from "../../src/store/model-repo.js";
import { findRedirectByUuid } from "../../src/store/redirect-repo.js";
import { models, users } from "../../src/store/schema.js";
import { serviceRegistration, startServer, type RunningServer } from "../../src/transport/server.js";
import { createLogger } from "../../src/transport/log.js";
import { eq } from "drizzle-orm";

const DST = "9d1e0c57-0000-4000-8000-000000000002";
const quiet = { info() {}, warn() {}, error() {} };

/** What the scripted destination does, and what it was asked. */
interface Script {
  state: { exists: boolean; activated: boolean };
  activate: () => void;
  calls: string[];
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
        abort: () => (rec("abort"), { removed: script.state.exists }),
        latestLogTime: () => (rec("latestLogTime"), { seq: 0n }),
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
afterEach(async () => {
  await worker?.stop();
  store?.close();
});

/** A source store with one (empty) model frozen in a migration at `phase` with `message`. */
function sourceAt(phase: Phase, message: string): { id: string; uuid: string } {
  store = openStore(join(mkdtempSync(join(dir, "src-")), "ferry.db"));
  const secrets = createSecretBox(dir);
  const m = store.tx((db) => {
    db.insert(users).values({ name: "admin", access: "superuser", createdAt: 1 }).run();
    const row = createModelRow(db, {
      name: "m",
      owner: "admin",
      cloud: "localhost",
      cloudType: "lxd",
      region: "localhost",
      agentVersion: "1.0.0",
    });
    db.update(models).set({ migrationMode: "exporting" }).where(eq(models.uuid, row.uuid)).run();
    const id = `${row.uuid}:0`;
    insertMigration(db, {
      id,
      modelUuid: row.uuid,
      attempt: 0,
      modelName: "m",
      modelOwner: "admin",
      initiatedBy: "admin",
      phase,
      phaseChangedAt: 1,
      statusMessage: message,
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
  worker = new MigrationWorker({
    store,
    controller: { uuid: "3b4e0c57-0000-4000-8000-000000000001", name: "src", version: "1.0.0" } as never,
    changes: createChangeHub(),
    simulator: { schedule() {}, resume() {}, stop() {} },
    secrets,
    exportModel,
    log: quiet,
    options: { ...DEFAULT_WORKER_OPTIONS, retryBudgetMs: 300, retryBaseMs: 20, retryMaxMs: 50 },
  });
  return m;
}

async function finalPhase(id: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const row = getMigration(store.db, id)!;
    if (["DONE", "ABORTDONE", "REAPFAILED"].includes(row.phase) && !row.targetToken) return row.phase;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("migration did not finish");
}

describe("the commit point", () => {
  it("after a crash while activating, an activated destination means SUCCESS: no re-validation, no abort", async () => {
    script = { state: { exists: true, activated: true }, activate: () => {}, calls: [] };
    const { id, uuid } = sourceAt("VALIDATION", MESSAGES.activating);
    worker!.resume();
    expect(await finalPhase(id)).toBe("DONE");
    expect(script.calls).not.toContain("validate");
    expect(script.calls).not.toContain("activate");
    expect(script.calls).not.toContain("abort");
    expect(script.calls).toContain("completeMigration");
    expect(findRedirectByUuid(store.db, uuid)?.controllerUuid).toBe(DST);
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
    const { id } = sourceAt("VALIDATION", MESSAGES.validatingAgents);
    worker!.resume();
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
    const { id, uuid } = sourceAt("VALIDATION", MESSAGES.validatingAgents);
    worker!.resume();
    expect(await finalPhase(id)).toBe("ABORTDONE");
    const row = getMigration(store.db, id)!;
    expect(row.failure).toBe("cannot connect to destination controller: busy");
    expect(script.calls).toContain("abort");
    const model = store.db.select().from(models).where(eq(models.uuid, uuid)).get()!;
    expect(model.migrationMode).toBe("none");
    expect(model.status).toBe("available");
  });
});
