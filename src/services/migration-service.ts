// MigrationService on the SOURCE controller: starting a migration (every
// precheck first, then one transaction that records it and freezes the
// model), reading and watching migrations, and aborting one before its point
// of no return. The work itself runs in the background (migration/worker).
import { X509Certificate } from "node:crypto";
import type { ConnectError, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Migration, MigrationService, MigrationTarget } from "../../gen/ts/ferry/v1/migration_pb.js";
import type { ModelMigrationSummary } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { activationStage, canAbort, isTerminal, MESSAGES, type Phase } from "../domain/phases.js";
import { PRECHECK, type PrecheckFailure } from "../domain/prechecks.js";
import { toMigration, toSummary } from "../migration/mapping.js";
import { runPrechecks, type SourceFacts } from "../migration/prechecks-run.js";
import { migrationLog, MIGRATING_PREFIX } from "../migration/record.js";
import type { SecretBox } from "../migration/secrets.js";
import type { TargetSpec } from "../migration/target-client.js";
import { redirectUsers, type ChangeHub, type MigrationRow, type Repos, type Store } from "../store/index.js";
import { userOf, type Principal } from "./context.js";
import { failedPrecondition, invalidArgument, notFound, permissionDenied } from "./errors.js";
import { findRedirectFor, resolveIn, resolveModel } from "./model-access.js";
import { decodePageToken, encodePageToken, pageSize } from "./paging.js";
import type { LogSink } from "./simulator.js";
import { count } from "../util/plural.js";

export interface MigrationServiceDeps {
  store: Store;
  controller: ControllerIdentity;
  changes: ChangeHub;
  secrets: SecretBox;
  /** The background worker: start(id) after a migration is recorded, requestAbort(id) to cancel streams. */
  worker: { start(id: string, modelUuid: string): void; requestAbort(id: string): void };
  log?: LogSink;
  /** Deadline for each destination call made by StartMigration's prechecks. */
  unaryTimeoutMs?: number;
  now?: () => number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIGRATION_ID_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d+)$/i;
const ADDRESS_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Checks the destination the client sent, naming every bad field at once. */
function validateTarget(t: MigrationTarget | undefined): TargetSpec & { controllerName: string } {
  const bad: { field: string; description: string }[] = [];
  if (!t) throw invalidArgument([{ field: "target", description: "the destination controller is required" }]);
  if (!UUID_RE.test(t.controllerUuid))
    bad.push({ field: "target.controller_uuid", description: "must be a controller UUID" });
  if (!t.controllerName || t.controllerName.length > 128) {
    bad.push({ field: "target.controller_name", description: "a name (alias) of 1..128 characters is required" });
  }
  if (!t.addresses.length) bad.push({ field: "target.addresses", description: "at least one host:port is required" });
  for (const [i, a] of t.addresses.entries()) {
    const m = ADDRESS_RE.exec(a);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      bad.push({ field: `target.addresses[${i}]`, description: `"${a}" is not host:port` });
    }
  }
  try {
    new X509Certificate(t.caCert);
  } catch {
    bad.push({ field: "target.ca_cert", description: "must be the destination CA certificate (PEM)" });
  }
  if (!t.token || t.token.length > 4096) {
    bad.push({ field: "target.token", description: "a migration token from the destination is required" });
  }
  if (bad.length) throw invalidArgument(bad);
  return {
    controllerUuid: t.controllerUuid.toLowerCase(),
    controllerName: t.controllerName,
    addresses: [...t.addresses],
    caCert: t.caCert,
    token: t.token,
  };
}

function preconditionError(failures: PrecheckFailure[]): ConnectError {
  return failedPrecondition(
    "MIGRATION_PRECHECKS_FAILED",
    failures.map((f) => f.message).join("\n"),
    failures.map((f) => ({ type: f.code, subject: f.subject, description: f.message })),
  );
}

/** What a dry run would do, step by step. */
function planOf(facts: SourceFacts, target: { controllerName: string; controllerUuid: string }): string[] {
  const c = facts.counts;
  const m = `${facts.info.owner}/${facts.info.name}`;
  return [
    `QUIESCE: lock model "${m}" against changes and run every precheck again`,
    `IMPORT: export ${count(c.machines, "machine")}, ${count(c.applications, "application")}, ${count(c.units, "unit")}, ${count(c.relations, "relation")} and their charms, and import them into controller "${target.controllerName}" (${target.controllerUuid})`,
    "PROCESSRELATIONS: fix up relations that cross the model boundary (none)",
    "VALIDATION: compare entity counts and content digest, then activate the model on the destination",
    "SUCCESS: point of no return: the destination owns the model",
    "LOGTRANSFER: copy the model's log entries",
    `REAP: remove the model from this controller and keep a redirect for its ${count(c.users, "user")}`,
  ];
}

/** Whether `p` may see migrations of a model: superusers, users with access, users who had it. */
async function canSee(tx: Repos, p: Principal, modelUuid: string): Promise<boolean> {
  if (p.controllerAccess === "superuser") return true;
  if (await tx.models.byUuid(modelUuid)) return (await tx.models.grantedAccess(modelUuid, p.user)) !== undefined;
  const r = await tx.redirects.byUuid(modelUuid);
  return !!r && redirectUsers(r).includes(p.user);
}

/** The model UUID a reference names: a live model, or one that migrated away. */
async function modelUuidFor(tx: Repos, p: Principal, ref: string): Promise<string> {
  try {
    return (await resolveModel(tx, p, ref, "read")).model.uuid;
  } catch (err) {
    const r = await findRedirectFor(tx, p, ref);
    if (r) return r.modelUuid;
    throw err;
  }
}

/** A migration by id, or the latest migration of a model reference. */
async function findMigration(tx: Repos, p: Principal, ref: string): Promise<MigrationRow> {
  if (!ref) throw invalidArgument([{ field: "id", description: "a migration id or a model is required" }]);
  if (MIGRATION_ID_RE.test(ref)) {
    const row = await tx.migrations.get(ref.toLowerCase());
    if (!row || !(await canSee(tx, p, row.modelUuid))) throw notFound(`migration "${ref}"`, "MIGRATION_NOT_FOUND");
    return row;
  }
  const uuid = await modelUuidFor(tx, p, ref);
  const row = await tx.migrations.latest(uuid);
  if (!row) throw notFound(`migration of model "${ref}"`, "MIGRATION_NOT_FOUND");
  return row;
}

/** Only a model admin who is also a controller superuser may start or abort a migration. */
function requireMigrator(p: Principal): void {
  if (p.controllerAccess !== "superuser") {
    throw permissionDenied("permission denied: migrating a model needs superuser access to this controller");
  }
}

/** The latest migration of a model as ModelService shows it (show-model). */
export async function migrationSummaryOf(tx: Repos, modelUuid: string): Promise<ModelMigrationSummary | undefined> {
  const row = await tx.migrations.latest(modelUuid);
  return row ? toSummary(row) : undefined;
}

/** Wakes a watcher when its model changes; a timer guards against a missed wake. */
function changeWaiter(hub: ChangeHub, modelUuid: string, signal: AbortSignal) {
  let wake: (() => void) | undefined;
  let pending = false;
  const poke = () => {
    pending = true;
    wake?.();
  };
  const unsubscribe = hub.subscribe(modelUuid, poke);
  signal.addEventListener("abort", poke);
  return {
    async next(maxWaitMs: number): Promise<void> {
      if (!pending && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, maxWaitMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
      pending = false;
    },
    close() {
      unsubscribe();
      signal.removeEventListener("abort", poke);
    },
  };
}

export function createMigrationService(deps: MigrationServiceDeps): ServiceImpl<typeof MigrationService> {
  const { store, controller } = deps;
  const now = () => (deps.now ?? Date.now)();

  return {
    async startMigration(req, ctx: HandlerContext) {
      const p = userOf(ctx);
      const { model } = await resolveIn(store, p, req.model, "admin");
      requireMigrator(p);
      const target = validateTarget(req.target);
      const checked = await runPrechecks(store, controller, model.uuid, target, {
        signal: ctx.signal,
        unaryTimeoutMs: deps.unaryTimeoutMs,
      });
      if (req.dryRun) {
        const attempt = await store.read((tx) => tx.migrations.nextAttempt(model.uuid));
        const preview: MigrationRow = {
          id: `${model.uuid}:${attempt}`,
          modelUuid: model.uuid,
          attempt,
          modelName: model.name,
          modelOwner: model.owner,
          initiatedBy: p.user,
          phase: "",
          phaseChangedAt: now(),
          statusMessage: "",
          startedAt: now(),
          endedAt: null,
          failure: "",
          activationSentAt: null,
          abortRequested: false,
          targetControllerUuid: target.controllerUuid,
          targetControllerName: target.controllerName,
          targetAddresses: JSON.stringify(target.addresses),
          targetCaCert: target.caCert,
          targetToken: "",
          progress: "{}",
          phaseTimings: "[]",
          exportCounts: "{}",
          exportDigest: "",
        };
        return {
          migration: toMigration(preview, now()),
          plan: checked.facts ? planOf(checked.facts, target) : [],
          failures: checked.failures.map((f) => ({ code: f.code, subject: f.subject, message: f.message })),
        };
      }
      if (checked.failures.length) throw preconditionError(checked.failures);
      const row = await store.write(async (tx) => {
        // Checked again under the model's lock: two starts may have raced here.
        await tx.lockModel(model.uuid);
        const m = await tx.models.byUuid(model.uuid);
        if (!m) throw notFound(`model "${req.model}"`, "MODEL_NOT_FOUND");
        if ((await tx.migrations.active(m.uuid)) || m.migrationMode !== "none") {
          throw preconditionError([
            { code: PRECHECK.inProgress, subject: `${m.owner}/${m.name}`, message: "migration already in progress" },
          ]);
        }
        if (m.life !== "alive") {
          throw preconditionError([
            { code: PRECHECK.notAlive, subject: `${m.owner}/${m.name}`, message: `model is ${m.life}` },
          ]);
        }
        const attempt = await tx.migrations.nextAttempt(m.uuid);
        const id = `${m.uuid}:${attempt}`;
        const t = now();
        const inserted = await tx.migrations.insert({
          id,
          modelUuid: m.uuid,
          attempt,
          modelName: m.name,
          modelOwner: m.owner,
          initiatedBy: p.user,
          phase: "QUIESCE" satisfies Phase,
          phaseChangedAt: t,
          statusMessage: MESSAGES.starting,
          startedAt: t,
          targetControllerUuid: target.controllerUuid,
          targetControllerName: target.controllerName,
          targetAddresses: JSON.stringify(target.addresses),
          targetCaCert: target.caCert,
          targetToken: deps.secrets.seal(target.token, id),
          phaseTimings: JSON.stringify([{ phase: "QUIESCE", start: t }]),
        });
        await tx.models.setMigrationMode(m.uuid, "exporting");
        await tx.models.setStatus(m.uuid, { status: "busy", message: MIGRATING_PREFIX + MESSAGES.starting }, t);
        await migrationLog(
          tx,
          m.uuid,
          id,
          `phase QUIESCE: started by ${p.user}, to controller "${target.controllerName}" (${target.controllerUuid})`,
          t,
        );
        return inserted;
      });
      deps.log?.info("migration started", {
        migration: row.id,
        model: `${row.modelOwner}/${row.modelName}`,
        destination: row.targetControllerName,
        destinationUuid: row.targetControllerUuid,
        by: p.user,
      });
      deps.worker.start(row.id, row.modelUuid);
      return { migration: toMigration(row, now()) };
    },

    async getMigration(req, ctx) {
      const p = userOf(ctx);
      return { migration: toMigration(await store.read((tx) => findMigration(tx, p, req.id)), now()) };
    },

    async listMigrations(req, ctx) {
      const p = userOf(ctx);
      const size = pageSize(req.pageSize);
      const modelUuid = req.model ? await store.read((tx) => modelUuidFor(tx, p, req.model)) : undefined;
      let after: { startedAt: number; id: string } | undefined;
      if (req.pageToken) {
        const raw = decodePageToken(req.pageToken);
        const bar = raw.indexOf("|");
        if (bar < 1 || !Number.isFinite(Number(raw.slice(0, bar)))) {
          throw invalidArgument([{ field: "page_token", description: "invalid page token" }]);
        }
        after = { startedAt: Number(raw.slice(0, bar)), id: raw.slice(bar + 1) };
      }
      // Non-superusers see only migrations of models they have (or had)
      // access to: filter while paging, reading ahead in batches.
      const out: MigrationRow[] = [];
      let more = false;
      await store.read(async (tx) => {
        for (;;) {
          const rows = await tx.migrations.listPage({ modelUuid, after, limit: size + 1 });
          for (const r of rows) {
            if (!(await canSee(tx, p, r.modelUuid))) continue;
            if (out.length === size) {
              more = true;
              break;
            }
            out.push(r);
          }
          if (more || rows.length <= size) break;
          const last = rows[rows.length - 1]!;
          after = { startedAt: last.startedAt, id: last.id };
        }
      });
      const last = out[out.length - 1];
      return {
        migrations: out.map((r) => toMigration(r, now())),
        nextPageToken: more && last ? encodePageToken(`${last.startedAt}|${last.id}`) : "",
      };
    },

    async *watchMigration(req, ctx) {
      const p = userOf(ctx);
      const first = await store.read((tx) => findMigration(tx, p, req.id));
      // Subscribe before the first read, so no change between them is lost.
      const waiter = changeWaiter(deps.changes, first.modelUuid, ctx.signal);
      try {
        let lastKey = "";
        for (;;) {
          const row = await store.read((tx) => tx.migrations.get(first.id));
          if (!row) return;
          const m: Migration = toMigration(row, now());
          const key = [row.phase, row.statusMessage, row.progress, row.failure, row.endedAt, row.abortRequested].join(
            "|",
          );
          if (key !== lastKey) {
            lastKey = key;
            yield { migration: m };
          }
          if (isTerminal(row.phase as Phase) || ctx.signal.aborted) return;
          await waiter.next(1000);
        }
      } finally {
        waiter.close();
      }
    },

    async abortMigration(req, ctx) {
      const p = userOf(ctx);
      const found = await store.read((tx) => findMigration(tx, p, req.id));
      requireMigrator(p);
      await store.read(async (tx) => {
        if (await tx.models.byUuid(found.modelUuid)) await resolveModel(tx, p, found.modelUuid, "admin");
      });
      const row = await store.write(async (tx) => {
        await tx.lockModel(found.modelUuid);
        const r = (await tx.migrations.get(found.id))!;
        const phase = r.phase as Phase;
        if (isTerminal(phase)) {
          throw failedPrecondition("MIGRATION_ENDED", `migration "${r.id}" has already ended (${phase})`);
        }
        if (phase === "ABORT") return r;
        // Once activation was sent the destination may own the model and
        // the worker never aborts: refuse rather than record a request that
        // would be ignored (and leave a failure on a migration that succeeds).
        if (!canAbort(phase) || activationStage(r) === "sent")
          throw failedPrecondition("MIGRATION_COMMITTED", "migration is past the point of no return");
        const failure = r.failure || `abort requested by ${p.user}`;
        await tx.migrations.update(r, { abortRequested: true, failure });
        return { ...r, abortRequested: true, failure };
      });
      deps.worker.requestAbort(row.id);
      deps.log?.info("migration abort requested", { migration: row.id, by: p.user });
      return { migration: toMigration(row, now()) };
    },
  };
}
