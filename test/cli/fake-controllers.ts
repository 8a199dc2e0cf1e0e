// Two in-process controllers over real TLS with scripted services, for
// testing the migration commands without the real migration worker: the
// source runs a fake MigrationService that walks the phases on a timer; the
// destination issues migration tokens. A ClientStore in a temp FERRY_HOME
// knows both, like after `ferry bootstrap` + `ferry login`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ConnectError, ServiceImpl } from "@connectrpc/connect";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import {
  MigrationSchema,
  MigrationService,
  type Migration,
  type StartMigrationRequest,
} from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { ClientStore } from "../../src/client/store/store.js";
import { CliContext } from "../../src/cli/context.js";
import { ensurePki } from "../../src/pki/index.js";
import { failedPrecondition, notFound, permissionDenied } from "../../src/services/errors.js";
import { serviceRegistration, startServer, type RunningServer } from "../../src/transport/index.js";

export const MODEL_UUID = "5f227519-3cdb-4538-871c-1c4589a4598a";
export const SRC_UUID = "3b4e0c57-0000-4000-8000-000000000001";
export const DST_UUID = "3b4e0c57-0000-4000-8000-000000000002";

const P = MigrationPhase;
export const HAPPY: [MigrationPhase, string][] = [
  [P.QUIESCE, "quiescing, waiting for agents to report back"],
  [P.IMPORT, "exporting model"],
  [P.IMPORT, "importing model into destination controller"],
  [P.IMPORT, "uploading model binaries into destination controller"],
  [P.PROCESSRELATIONS, "processing relations"],
  [P.VALIDATION, "validating, waiting for agents to report back"],
  [P.SUCCESS, "successful, transferring logs to destination controller (0 sent)"],
  [P.LOGTRANSFER, "successful, transferring logs to destination controller (10 sent)"],
  [P.LOGTRANSFER, "successful, transferring logs to destination controller (20 sent)"],
  [P.REAP, "successful, removing model from source controller"],
  [P.DONE, "successful, removing model from source controller"],
];

export interface Script {
  /** Phases to walk after StartMigration. */
  steps: [MigrationPhase, string][];
  /** Cause for an abort at the end of `steps` (ABORT, ABORTDONE follow). */
  abortCause?: string;
  /** Precheck failures StartMigration reports. */
  failures?: { code: string; subject: string; message: string }[];
  stepMs?: number;
  /** StartMigration fails with this (e.g. UNAVAILABLE: the start may have happened). */
  startError?: ConnectError;
}

export interface Fakes {
  ctx: CliContext;
  store: ClientStore;
  /** StartMigration requests the source saw. */
  started: StartMigrationRequest[];
  /** Migration tokens the destination issued. */
  tokens: string[];
  /** Migration tokens revoked on the destination (CompleteMigration), with the migration id sent. */
  revoked: { token: string; migrationId: string }[];
  script: Script;
  migration?: Migration;
  close(): Promise<void>;
}

async function controller(name: string, uuid: string, services: ReturnType<typeof serviceRegistration>[]) {
  const dir = mkdtempSync(join(tmpdir(), `ferry-fake-${name}-`));
  const pki = await ensurePki(dir, { controllerName: name, hostnames: [] });
  const server: RunningServer = await startServer({
    address: "127.0.0.1:0",
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem },
    services,
    connectProtocol: false,
  });
  const record = {
    uuid,
    apiEndpoints: [`127.0.0.1:${server.port}`],
    caCert: pki.caCertPem,
    caFingerprint: pki.fingerprint,
    cloud: "localhost",
    cloudType: "lxd",
  };
  return { dir, server, record };
}

export async function startFakes(script: Script): Promise<Fakes> {
  const fakes = { started: [], tokens: [], revoked: [], script } as unknown as Fakes;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  const set = (phase: MigrationPhase, msg: string, failure = "") => {
    const m = fakes.migration!;
    m.phase = phase;
    m.statusMessage = msg;
    m.failure = failure;
    m.progress = { ...m.progress!, entitiesDone: m.progress!.entitiesDone + 10n };
    if ([P.DONE, P.ABORTDONE].includes(phase)) m.endTime = timestampNow();
    changed();
  };
  let aborted = false;
  let watched = () => undefined as void;
  const firstWatch = new Promise<void>((r) => (watched = r));
  const run = async () => {
    const wait = () => new Promise((r) => setTimeout(r, fakes.script.stepMs ?? 15));
    // Walk only once someone follows (or soon anyway), so --wait sees every step even on a loaded machine.
    await Promise.race([firstWatch, new Promise((r) => setTimeout(r, 300))]);
    for (const [phase, msg] of fakes.script.steps) {
      if (aborted) return;
      await wait();
      set(phase, msg);
    }
    if (fakes.script.abortCause) {
      await wait();
      set(P.ABORT, `aborted, removing model from destination controller: ${fakes.script.abortCause}`);
      await wait();
      set(
        P.ABORTDONE,
        `aborted, removed model from destination controller: ${fakes.script.abortCause}`,
        fakes.script.abortCause,
      );
    }
  };
  const lookup = (id: string) => {
    const m = fakes.migration;
    if (!m || (id !== m.id && id !== "admin/web" && id !== MODEL_UUID)) throw notFound(`migration "${id}"`);
    return m;
  };

  const migration: Partial<ServiceImpl<typeof MigrationService>> = {
    startMigration(req) {
      fakes.started.push(req);
      if (fakes.script.startError) throw fakes.script.startError;
      const failures = fakes.script.failures ?? [];
      if (req.dryRun) return { plan: ["QUIESCE: lock the model", "IMPORT: copy it"], failures };
      if (failures.length) {
        throw failedPrecondition(
          "PRECHECKS_FAILED",
          "prechecks failed",
          failures.map((f) => ({ type: f.code, subject: f.subject, description: f.message })),
        );
      }
      fakes.migration = create(MigrationSchema, {
        id: `${MODEL_UUID}:0`,
        modelUuid: MODEL_UUID,
        modelName: "web",
        modelOwner: "admin",
        phase: P.QUIESCE,
        statusMessage: "starting",
        startTime: timestampNow(),
        phaseChangeTime: timestampNow(),
        progress: { entitiesTotal: 200n, bytesTotal: 4096n },
        target: { ...req.target!, token: "" },
        initiatedBy: "admin",
      });
      void run();
      return { migration: fakes.migration };
    },
    getMigration: (req) => ({ migration: lookup(req.id) }),
    async *watchMigration(req, ctx) {
      const m = lookup(req.id);
      // Every state the walk passes through, in order, even when several
      // happen before the client reads the next message (a loaded machine).
      const queue = [create(MigrationSchema, m)];
      let wake = () => undefined as void;
      const listener = () => {
        queue.push(create(MigrationSchema, m));
        wake();
      };
      listeners.add(listener);
      watched();
      try {
        for (;;) {
          while (queue.length > 0) {
            const snap = queue.shift()!;
            yield { migration: snap };
            if ([P.DONE, P.ABORTDONE, P.REAPFAILED].includes(snap.phase)) return;
          }
          const next = new Promise<void>((r) => (wake = r));
          if (queue.length > 0) continue;
          await Promise.race([next, new Promise((r) => ctx.signal.addEventListener("abort", r))]);
          if (ctx.signal.aborted) return;
        }
      } finally {
        listeners.delete(listener);
      }
    },
    abortMigration(req) {
      const m = lookup(req.id);
      if (m.phase >= P.SUCCESS && m.phase <= P.DONE) throw failedPrecondition("TOO_LATE", "too late to abort");
      aborted = true;
      set(P.ABORT, "aborted, removing model from destination controller: user requested abort", "user requested abort");
      setTimeout(
        () =>
          set(
            P.ABORTDONE,
            "aborted, removed model from destination controller: user requested abort",
            "user requested abort",
          ),
        20,
      );
      return { migration: m };
    },
  };
  const srcModels: Partial<ServiceImpl<typeof ModelService>> = {
    getModel: (req) => {
      if (req.model !== "admin/web" && req.model !== "web") throw notFound(`model "${req.model}"`);
      return { model: { name: "web", owner: "admin", uuid: MODEL_UUID, type: "iaas" } };
    },
  };
  const dstController: Partial<ServiceImpl<typeof ControllerService>> = {
    createMigrationToken(req, ctx) {
      if (ctx.requestHeader.get("authorization") !== "Bearer dst-admin") {
        throw permissionDenied("permission denied: superuser access required");
      }
      const token = `mig-${req.modelUuid}-${req.sourceControllerUuid}`;
      fakes.tokens.push(token);
      return { token };
    },
  };
  const dstTarget: Partial<ServiceImpl<typeof MigrationTargetService>> = {
    completeMigration(req, ctx) {
      const token = (ctx.requestHeader.get("authorization") ?? "").replace(/^Bearer /, "");
      if (!fakes.tokens.includes(token)) throw permissionDenied("not a migration token");
      fakes.revoked.push({ token, migrationId: req.migrationId });
      return {};
    },
  };
  const src = await controller("src", SRC_UUID, [
    serviceRegistration(MigrationService, migration),
    serviceRegistration(ModelService, srcModels),
  ]);
  const dst = await controller("dst", DST_UUID, [
    serviceRegistration(ControllerService, dstController),
    serviceRegistration(MigrationTargetService, dstTarget),
  ]);

  const home = mkdtempSync(join(tmpdir(), "ferry-home-"));
  const store = new ClientStore(home);
  await store.putController("src", src.record);
  await store.putController("dst", dst.record);
  await store.putAccount("src", { user: "admin", token: "src-admin" });
  await store.putAccount("dst", { user: "admin", token: "dst-admin" });
  await store.setCurrentController("src");
  await store.updateModels("src", (m) => {
    m.models["admin/web"] = { uuid: MODEL_UUID };
    m.currentModel = "admin/web";
  });
  fakes.store = store;
  fakes.ctx = new CliContext(false, store);
  fakes.close = async () => {
    fakes.ctx.close();
    await src.server.shutdown(100);
    await dst.server.shutdown(100);
    for (const d of [src.dir, dst.dir, home]) rmSync(d, { recursive: true, force: true });
  };
  return fakes;
}
