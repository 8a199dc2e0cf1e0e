// MigrationTargetService: the destination side of a model migration, called
// by the source controller with a migration-scoped token bound to one model.
// The model arrives as a description (Import), its charm archives follow
// (UploadBinary), the destination re-exports its copy to prove it matches
// (Validate), and Activate makes it live in one durable write: the commit
// point the source can ask about afterwards (GetImportState). Abort removes a
// model that was never activated; logs follow after success (TransferLogs).
import { createHash } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { MigrationTargetService } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { MAX_CHARM_ARCHIVE } from "../domain/charms.js";
import { PRECHECK, targetPrechecks, type PrecheckFailure } from "../domain/prechecks.js";
import { isLogLevelName } from "../domain/status.js";
import { exportModel } from "../migration/export.js";
import { importStageOf } from "../domain/import-stages.js";
import { ModelImporter, type ModelRow, type Repos, type Store, type TransferredLog } from "../store/index.js";
import { badField, ferryError, notFound, permissionDenied } from "./errors.js";
import { lifeOf } from "./model-mapping.js";
import { UploadSpool } from "./upload-spool.js";
import {
  checkChunk,
  checkMigrationId,
  checkSha256,
  importError,
  MAX_DOCUMENT,
  migrationCaller,
  ModelLocks,
  untilAborted,
} from "./migration-target-support.js";
import type { LogSink } from "./simulator.js";

export interface MigrationTargetServiceDeps {
  store: Store;
  controller: ControllerIdentity;
  /** Activated models start living here: their pending work resumes. */
  simulator: { schedule(modelUuid: string): void };
  log?: LogSink;
  /** Where binaries are spooled while they arrive; a private temporary directory when unset. */
  spoolDir?: string;
}

type Stage = ReturnType<typeof importStageOf>;

/** How long the migration token stays valid after Activate (for logs and CompleteMigration). */
export const POST_COMMIT_TOKEN_MS = 7 * 24 * 60 * 60 * 1000;

export function createMigrationTargetService(
  deps: MigrationTargetServiceDeps,
): ServiceImpl<typeof MigrationTargetService> {
  const { store, controller } = deps;
  const locks = new ModelLocks();

  /** The imported model in one of `stages`, else the error that says where it stands. */
  async function importedModel(tx: Repos, modelUuid: string, stages: Stage[], action: string): Promise<ModelRow> {
    const m = await tx.models.byUuid(modelUuid);
    if (!m) throw notFound(`imported model ${modelUuid}`, "IMPORT_NOT_FOUND");
    const stage = importStageOf(m);
    if (stages.includes(stage)) return m;
    const why: Record<Stage, string> = {
      importing: "its import is not complete",
      imported: "it has not been validated",
      validated: "it is already validated",
      activated: "it was already activated",
      native: "it is not a migration import",
    };
    throw ferryError(Code.FailedPrecondition, "IMPORT_STAGE", `cannot ${action} model ${modelUuid}: ${why[stage]}`);
  }

  return {
    async prechecks(req, ctx) {
      const info = req.model;
      if (!info) throw badField("model", "the migrating model is required");
      const p = migrationCaller(ctx, info.uuid, "model.uuid");
      if (p.sourceControllerUuid && info.controllerUuid && info.controllerUuid !== p.sourceControllerUuid) {
        throw permissionDenied("migration token was issued for another source controller", "TOKEN_SOURCE_MISMATCH");
      }
      const { byUuid, byName, missing } = await store.read(async (tx) => {
        const missing: string[] = [];
        for (const u of new Set(info.users)) if (!(await tx.users.exists(u))) missing.push(u);
        return {
          byUuid: await tx.models.byUuid(info.uuid),
          byName: await tx.models.byName(info.owner, info.name),
          missing: missing.sort(),
        };
      });
      // Missing users go on the wire one violation each (code MISSING_USER,
      // subject the user; the source writes the advisory listing them all),
      // so the shared checks are asked with every user present.
      const failures: PrecheckFailure[] = targetPrechecks(
        {
          controllerVersion: controller.version,
          cloud: controller.cloud,
          cloudType: controller.cloudType,
          regions: controller.regions,
          existingUsers: new Set(info.users),
          // The same model (a leftover import of it) is not a name clash.
          modelWithSameName: byName !== undefined && byName.uuid !== info.uuid,
          // A leftover, never activated import of this model is replaced by the next Import.
          modelWithSameUuid: byUuid !== undefined && byUuid.migrationMode !== "importing",
        },
        info,
      );
      for (const u of missing) {
        failures.push({
          code: PRECHECK.missingUser,
          subject: u,
          message: `user "${u}" does not exist on destination controller`,
        });
      }
      return { controllerUuid: controller.uuid, controllerVersion: controller.version, violations: failures };
    },

    async import(requests, ctx) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      const header = first.done || first.value.data.case !== "header" ? undefined : first.value.data.value;
      if (!header) throw badField("header", "the first message of an Import must be an ImportHeader");
      const modelUuid = header.model?.uuid ?? "";
      migrationCaller(ctx, modelUuid, "header.model.uuid");
      checkMigrationId(header.migrationId, modelUuid, "header.migration_id");
      checkSha256(header.sha256, "header.sha256");
      if (header.size <= 0n || header.size > BigInt(MAX_DOCUMENT)) {
        throw badField("header.size", `must be between 1 and ${MAX_DOCUMENT} bytes`);
      }
      if (header.entityCount < 0n || header.entityCount > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw badField("header.entity_count", "must not be negative");
      }
      // A retried Import supersedes one still running (its client may be gone).
      locks.preempt(modelUuid);
      return locks.run(modelUuid, async () => {
        const running = locks.importStarted(modelUuid, header.migrationId);
        const importer = new ModelImporter(store, {
          modelUuid,
          migrationId: header.migrationId,
          size: Number(header.size),
          sha256: header.sha256,
          entityCount: Number(header.entityCount),
        });
        const started = Date.now();
        try {
          for await (const msg of untilAborted(it, running.signal, "import")) {
            if (msg.data.case !== "chunk") throw badField("chunk", "only the first message may be a header");
            checkChunk(msg.data.value);
            await importer.write(msg.data.value);
          }
          const r = await importer.finish();
          deps.log?.info("model imported", {
            model: modelUuid,
            migration: header.migrationId,
            entities: r.entityCount,
            bytes: r.size,
            ms: Date.now() - started,
          });
          return { entityCount: BigInt(r.entityCount), digest: r.sha256 };
        } catch (err) {
          await importer
            .discard()
            .catch((e: unknown) =>
              deps.log?.warn("could not remove a failed import", { model: modelUuid, error: String(e) }),
            );
          deps.log?.warn("model import failed", {
            model: modelUuid,
            migration: header.migrationId,
            error: String(err),
          });
          throw importError(err);
        } finally {
          running.done();
        }
      });
    },

    async uploadBinary(requests, ctx) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      const h = first.done || first.value.data.case !== "header" ? undefined : first.value.data.value;
      if (!h) throw badField("header", "the first message of an UploadBinary must be a BinaryHeader");
      migrationCaller(ctx, h.modelUuid, "header.model_uuid");
      if (h.kind !== "charm") throw badField("header.kind", 'only "charm" binaries are stored by this controller');
      checkSha256(h.sha256, "header.sha256");
      if (h.size < 0n || h.size > BigInt(MAX_CHARM_ARCHIVE)) {
        throw badField("header.size", `must be between 0 and ${MAX_CHARM_ARCHIVE} bytes`);
      }
      const size = Number(h.size);
      const want = await store.read(async (tx) => {
        await importedModel(tx, h.modelUuid, ["imported", "validated"], "upload binaries into");
        return tx.charms.findInfo(h.modelUuid, h.name);
      });
      if (!want) {
        throw ferryError(
          Code.FailedPrecondition,
          "UNKNOWN_BINARY",
          `charm ${h.name} is not part of the imported model`,
        );
      }
      if (want.sha256 !== h.sha256 || want.size !== size) {
        throw ferryError(
          Code.FailedPrecondition,
          "BINARY_MISMATCH",
          `charm ${h.name}: the model description records SHA-256 ${want.sha256} and ${want.size} bytes`,
        );
      }
      // Charm archives are bounded (64 MiB): spooled to disk as they arrive
      // (a stalled stream holds no memory), verified, then stored in one write.
      const spool = await UploadSpool.create(deps.spoolDir);
      let bytes: Buffer;
      try {
        const hash = createHash("sha256");
        for await (const msg of { [Symbol.asyncIterator]: () => it }) {
          if (msg.data.case !== "chunk") throw badField("chunk", "only the first message may be a header");
          checkChunk(msg.data.value);
          if (spool.size + msg.data.value.length > size) {
            throw ferryError(Code.DataLoss, "BINARY_MISMATCH", `charm ${h.name}: more than ${size} bytes`);
          }
          hash.update(msg.data.value);
          await spool.append(msg.data.value);
        }
        if (spool.size !== size) {
          throw ferryError(
            Code.DataLoss,
            "BINARY_MISMATCH",
            `charm ${h.name}: received ${spool.size} of ${size} bytes`,
          );
        }
        const sha = hash.digest("hex");
        if (sha !== h.sha256) {
          throw ferryError(Code.DataLoss, "BINARY_MISMATCH", `charm ${h.name}: SHA-256 mismatch (received ${sha})`);
        }
        bytes = await spool.contents();
      } finally {
        await spool.discard();
      }
      await locks.run(h.modelUuid, () =>
        store.write(async (tx) => {
          await tx.lockModel(h.modelUuid);
          await importedModel(tx, h.modelUuid, ["imported", "validated"], "upload binaries into");
          await tx.charms.storeArchive(h.modelUuid, h.name, bytes);
        }),
      );
      return { size: BigInt(size) };
    },

    async validate(req, ctx) {
      migrationCaller(ctx, req.modelUuid);
      return locks.run(req.modelUuid, async () => {
        await store.read((tx) => importedModel(tx, req.modelUuid, ["imported", "validated"], "validate"));
        const ex = await exportModel(store, req.modelUuid);
        await ex.close();
        const mismatches: string[] = [];
        const kinds = new Set([...Object.keys(req.entityCounts), ...Object.keys(ex.counts)]);
        for (const k of [...kinds].sort()) {
          const want = Number(req.entityCounts[k] ?? 0n);
          const have = ex.counts[k] ?? 0;
          if (want !== have) mismatches.push(`${k}: exported ${want}, imported ${have}`);
        }
        if (req.digest !== ex.sha256) mismatches.push(`digest: exported ${req.digest}, imported ${ex.sha256}`);
        const missing = await store.read((tx) => tx.charms.missingArchives(req.modelUuid));
        for (const url of missing) mismatches.push(`binary missing: charm ${url}`);
        await store.write(async (tx) => {
          await tx.lockModel(req.modelUuid);
          const m = await importedModel(tx, req.modelUuid, ["imported", "validated"], "validate");
          await tx.imports.setStage(m, mismatches.length === 0 ? "validated" : "imported");
        });
        if (mismatches.length) deps.log?.warn("imported model does not match", { model: req.modelUuid, mismatches });
        return {
          entityCounts: Object.fromEntries(Object.entries(ex.counts).map(([k, v]) => [k, BigInt(v)])),
          digest: ex.sha256,
          mismatches,
        };
      });
    },

    async activate(req, ctx) {
      const p = migrationCaller(ctx, req.modelUuid);
      checkMigrationId(req.migrationId, req.modelUuid);
      const at = await locks.run(req.modelUuid, async () => {
        // The caller may have given up while we waited for the lock (deadline,
        // cancelled call): then it treats the outcome as unknown and may abort,
        // so do not commit behind its back.
        if (ctx.signal.aborted) {
          throw ferryError(Code.Canceled, "ACTIVATE_CANCELLED", "activation cancelled: the caller went away");
        }
        try {
          return await store.write(async (tx) => {
            const now = Date.now();
            await tx.lockModel(req.modelUuid);
            const activated = await tx.imports.activate(req.modelUuid, req.migrationId, now);
            // The source's post-commit calls (log transfer, CompleteMigration)
            // must keep working even if it is down for a while.
            await tx.tokens.extend(p.tokenHash, now + POST_COMMIT_TOKEN_MS);
            return activated;
          });
        } catch (err) {
          throw importError(err);
        }
      });
      deps.log?.info("migrated model activated", { model: req.modelUuid, migration: req.migrationId });
      deps.simulator.schedule(req.modelUuid);
      return { activateTime: timestampFromMs(at) };
    },

    async getImportState(req, ctx) {
      migrationCaller(ctx, req.modelUuid);
      const m = await store.read((tx) => tx.models.byUuid(req.modelUuid));
      if (!m) return { exists: false, activated: false, migrationId: "" };
      return {
        exists: true,
        activated: importStageOf(m) === "activated",
        migrationId: m.importMigrationId ?? "",
        life: lifeOf(m.life),
      };
    },

    async abort(req, ctx) {
      migrationCaller(ctx, req.modelUuid);
      // With a migration id, only that attempt's import is cancelled and
      // removed: a late cleanup of attempt N leaves attempt N+1's import alone.
      if (req.migrationId) checkMigrationId(req.migrationId, req.modelUuid);
      locks.preempt(req.modelUuid, req.migrationId || undefined);
      const removed = await locks.run(req.modelUuid, async () => {
        try {
          return await store.write(async (tx) => {
            await tx.lockModel(req.modelUuid);
            return tx.imports.removeImported(req.modelUuid, req.migrationId || undefined);
          });
        } catch (err) {
          throw importError(err);
        }
      });
      if (removed) {
        deps.log?.info("imported model removed (migration aborted)", {
          model: req.modelUuid,
          migration: req.migrationId,
        });
      }
      return { removed };
    },

    async latestLogTime(req, ctx) {
      migrationCaller(ctx, req.modelUuid);
      const c = await store.read((tx) => tx.imports.logTransferCursor(req.modelUuid));
      return c ? { time: timestampFromMs(c.time), seq: BigInt(c.sourceSeq) } : { seq: 0n };
    },

    async transferLogs(requests, ctx) {
      let count = 0;
      let lastSeq = 0n;
      for await (const msg of requests) {
        migrationCaller(ctx, msg.modelUuid);
        await store.read((tx) => importedModel(tx, msg.modelUuid, ["activated"], "transfer logs into"));
        const batch: TransferredLog[] = msg.entries.map((e, i) => {
          if (e.seq <= lastSeq) throw badField(`entries[${i}].seq`, "entries must have increasing positive seq");
          lastSeq = e.seq;
          if (!e.time) throw badField(`entries[${i}].time`, "a time is required");
          if (!isLogLevelName(e.level)) throw badField(`entries[${i}].level`, "must be DEBUG, INFO, WARNING or ERROR");
          const time = Number(e.time.seconds) * 1000 + Math.floor(e.time.nanos / 1e6);
          return { seq: Number(e.seq), time, entity: e.entity, level: e.level, module: e.module, message: e.message };
        });
        if (!batch.length) continue;
        const n = await store.write(async (tx) => {
          await tx.lockModel(msg.modelUuid);
          return tx.imports.appendTransferredLogs(msg.modelUuid, batch, Date.now());
        });
        count += n;
      }
      return { count: BigInt(count) };
    },

    async completeMigration(req, ctx: HandlerContext) {
      const p = migrationCaller(ctx, req.modelUuid);
      // An empty migration id is a client ending a token it never used (a
      // dry run, a refused start): revoke that token and nothing else.
      if (req.migrationId) checkMigrationId(req.migrationId, req.modelUuid);
      await store.write(async (tx) => {
        // Only the calling token: another migration token for this model
        // (a later attempt, another client's dry run) stays valid.
        await tx.tokens.delete(p.tokenHash);
        if (req.migrationId) await tx.imports.deleteLogTransferCursor(req.modelUuid);
      });
      deps.log?.info(
        req.migrationId ? "migration completed: migration token revoked" : "unused migration token revoked",
        { model: req.modelUuid, migration: req.migrationId },
      );
      return {};
    },
  };
}
