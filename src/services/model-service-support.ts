// What every ModelService handler module shares: the injected dependencies,
// resolving the request's model, building a Model message as the caller may
// see it, and turning domain problems into gRPC errors.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext } from "@connectrpc/connect";
import type { Model, ModelMigrationSummary } from "../../gen/ts/ferry/v1/resources_pb.js";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { ModelAccessLevel } from "../domain/access.js";
import type { ControllerIdentity } from "../domain/controller.js";
import type { ConfigProblems } from "../domain/config.js";
import type { ChangeHub, ModelRow, ModelUserRow, Repos, Store } from "../store/index.js";
import { principalOf, type Principal } from "./context.js";
import { ferryError, invalidArgument, notFound } from "./errors.js";
import { toModel } from "./model-mapping.js";
import { migratingError, resolveIn, type ResolvedModel } from "./model-access.js";
import type { LogSink, Simulator } from "./simulator.js";
import { processLoad } from "../load.js";

export interface ModelServiceDeps {
  store: Store;
  controller: ControllerIdentity;
  changes: ChangeHub;
  simulator: Simulator;
  log?: LogSink;
  /**
   * The latest migration of a model as shown in Model.migration; supplied by
   * the migration module once it exists (absent: no migration shown).
   */
  migrationSummary?: (tx: Repos, modelUuid: string) => Promise<ModelMigrationSummary | undefined>;
  /** Minimum time between two WatchStatus updates (default 100 ms). */
  watchIntervalMs?: number;
  /** Clock (ms); injectable for tests. */
  now?: () => number;
  /** Where uploads are spooled while they arrive (the data dir's "uploads"); a private temporary directory when unset. */
  spoolDir?: string;
}

export const MAX_COUNT = 1000;

export function clock(deps: ModelServiceDeps): number {
  return (deps.now ?? Date.now)();
}

/** Resolves the request's model for the calling principal (one read, usually one statement). */
export async function modelFor(
  deps: ModelServiceDeps,
  ctx: HandlerContext,
  ref: string,
  need: ModelAccessLevel,
  write = false,
): Promise<ResolvedModel & { principal: Principal }> {
  const principal = principalOf(ctx);
  const resolved = await resolveIn(deps.store, principal, ref, need, { write });
  if (principal.kind === "user") recordConnection(deps, resolved.model, principal.user);
  const m = resolved.model;
  processLoad.models.record(m.uuid, `${m.owner}/${m.name}`, write ? "write" : "read");
  return { ...resolved, principal };
}

/** When each (model, user) connection was last written by this process. */
const connectionsWritten = new Map<string, number>();
/** A connection time good to the minute costs one write a minute per user and model, not one per call. */
const CONNECTION_RESOLUTION_MS = 60_000;

/**
 * A user's call on a model is a connection to it. Written in the background
 * (the call never waits for it or fails because of it), at most once a
 * minute, and never while the model is migrating: its rows are being
 * exported and compared, and must not change under the migration.
 */
export function recordConnection(deps: ModelServiceDeps, model: ModelRow, user: string): void {
  if (model.migrationMode !== "none") return;
  const key = `${model.uuid}\u0000${user}`;
  const now = clock(deps);
  const last = connectionsWritten.get(key);
  if (last !== undefined && now - last < CONNECTION_RESOLUTION_MS) return;
  connectionsWritten.set(key, now);
  if (connectionsWritten.size > 10_000) connectionsWritten.clear();
  const write = (): Promise<void> =>
    deps.store.write(async (tx) => {
      // The model's lock orders this against a migration starting.
      await tx.lockModel(model.uuid);
      const m = await tx.models.byUuid(model.uuid);
      if (m?.migrationMode === "none") await tx.models.recordConnection(model.uuid, user, now);
    });
  // Best effort (a store closing, a busy database): the next call tries again.
  Promise.resolve()
    .then(write)
    .catch(() => connectionsWritten.delete(key));
}

/**
 * Re-reads the model inside a write transaction, holding the model's lock:
 * it may have been deleted (or started migrating) between resolving it and
 * the write. Same answers as resolveModel gives for writes.
 */
export async function liveModel(tx: Repos, uuid: string): Promise<ModelRow> {
  await tx.lockModel(uuid);
  const m = await tx.models.byUuid(uuid);
  if (!m) throw notFound(`model ${uuid}`, "MODEL_NOT_FOUND");
  if (m.migrationMode === "exporting") throw await migratingError(tx, m);
  if (m.life !== "alive") throw ferryError(Code.FailedPrecondition, "MODEL_NOT_ALIVE", `model is ${m.life}`);
  return m;
}

/** Users the caller may see: admins see everyone, others only themselves. */
export function visibleUsers(users: ModelUserRow[], access: ModelAccessLevel, caller: string): ModelUserRow[] {
  return access === "admin" ? users : users.filter((u) => u.user === caller);
}

/** The Model message as `caller` (with `access`) may see it. */
export async function describeModel(
  deps: ModelServiceDeps,
  tx: Repos,
  row: ModelRow,
  caller: string,
  access: ModelAccessLevel,
  /** Known counts (e.g. from a status snapshot), saving two count queries. */
  counts?: { machines: number; units: number },
): Promise<Model> {
  return toModel(row, {
    controller: deps.controller,
    counts: counts ?? (await tx.models.counts([row.uuid])).get(row.uuid),
    users: visibleUsers(await tx.models.users(row.uuid), access, caller),
    access,
    migration: await deps.migrationSummary?.(tx, row.uuid),
  });
}

/** INVALID_ARGUMENT naming each bad key as `<prefix>.<key>`. */
export function configProblems(prefix: string, problems: ConfigProblems): ConnectError {
  return invalidArgument(problems.map((p) => ({ field: `${prefix}.${p.key}`, description: p.description })));
}

/** INVALID_ARGUMENT with a specific reason and a BadRequest naming the field. */
export function invalidWithReason(reason: string, field: string, description: string): ConnectError {
  return ferryError(Code.InvalidArgument, reason, `${field}: ${description}`, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: [{ field, description }] }) },
  ]);
}

/** ABORTED for a read-modify-write whose etag is stale (AIP-154). */
export function etagMismatch(what: string, given: string, current: string): ConnectError {
  return ferryError(
    Code.Aborted,
    "ETAG_MISMATCH",
    `${what} changed since it was read (etag "${given}", now "${current}"): read it again and retry`,
    [],
    { given, current },
  );
}

/** A count field: 0 means 1; at most MAX_COUNT. */
export function countField(field: string, value: number): number {
  if (value < 0 || value > MAX_COUNT) {
    throw invalidArgument([{ field, description: `must be between 1 and ${MAX_COUNT} (0 means 1), got ${value}` }]);
  }
  return value === 0 ? 1 : value;
}
