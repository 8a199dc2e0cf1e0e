// Models as rows: creating, listing (paged), counting, users, config and
// removing everything a model owns. Functions take a Db so callers can group
// several of them in one store.tx.
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, gt, inArray, ne, or, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import { appendLogEntry } from "./log-repo.js";
import {
  logTransfers,
  applicationConfig,
  applications,
  charms,
  logEntries,
  machines,
  modelConfig,
  models,
  modelUsers,
  relationEndpoints,
  relations,
  statusHistory,
  units,
  users,
} from "./schema.js";
import type { ModelRow } from "./access-repo.js";

export type { ModelRow };
export type ModelUserRow = typeof modelUsers.$inferSelect;

export interface NewModel {
  /** Defaults to a random UUID (a migration import passes the source's). */
  uuid?: string;
  name: string;
  owner: string;
  cloud: string;
  cloudType: string;
  region: string;
  agentVersion: string;
  isController?: boolean;
  /** Initial model config values (already validated). */
  config?: Record<string, string>;
  /** Creation time in ms; now when omitted. */
  now?: number;
}

/**
 * Creates a model row, gives its owner admin access, stores its initial
 * config and records its first status and a log entry. Several inserts:
 * call it inside store.tx. Used by CreateModel and by the controller
 * bootstrap (the "controller" model, owner "admin", isController true).
 */
export function createModelRow(db: Db, init: NewModel): ModelRow {
  const now = init.now ?? Date.now();
  const row = db
    .insert(models)
    .values({
      uuid: init.uuid ?? randomUUID(),
      name: init.name,
      owner: init.owner,
      cloud: init.cloud,
      cloudType: init.cloudType,
      region: init.region,
      agentVersion: init.agentVersion,
      isController: init.isController ?? false,
      statusSince: now,
      createdAt: now,
    })
    .returning()
    .get();
  db.insert(modelUsers).values({ modelUuid: row.uuid, user: init.owner, access: "admin" }).run();
  const config = Object.entries(init.config ?? {});
  if (config.length) {
    db.insert(modelConfig)
      .values(config.map(([key, value]) => ({ modelUuid: row.uuid, key, value })))
      .run();
  }
  db.insert(statusHistory)
    .values({ modelUuid: row.uuid, entity: "model", kind: "model", status: row.status, message: "", since: now })
    .run();
  appendLogEntry(db, row.uuid, {
    entity: "model",
    level: "INFO",
    module: "ferry.model",
    message: `model "${init.owner}/${init.name}" created`,
    time: now,
  });
  return row;
}

export function userExists(db: Db, name: string): boolean {
  return db.select({ name: users.name }).from(users).where(eq(users.name, name)).get() !== undefined;
}

export interface ModelPageQuery {
  /** Only models shared with this user (ignored when all is true). */
  user: string;
  all: boolean;
  /** Continue after this owner/name (exclusive). */
  after?: { owner: string; name: string };
  limit: number;
}

/**
 * One page of models ordered by owner then name; models being imported are
 * invisible. Returns up to limit + 1 rows so the caller knows if more exist.
 */
export function listModelsPage(db: Db, q: ModelPageQuery): ModelRow[] {
  const conds = [ne(models.migrationMode, "importing")];
  if (!q.all) {
    conds.push(
      inArray(
        models.uuid,
        db.select({ uuid: modelUsers.modelUuid }).from(modelUsers).where(eq(modelUsers.user, q.user)),
      ),
    );
  }
  if (q.after) {
    conds.push(
      or(gt(models.owner, q.after.owner), and(eq(models.owner, q.after.owner), gt(models.name, q.after.name)))!,
    );
  }
  return db
    .select()
    .from(models)
    .where(and(...conds))
    .orderBy(asc(models.owner), asc(models.name))
    .limit(q.limit + 1)
    .all();
}

export interface ModelCounts {
  machines: number;
  units: number;
}

/** Machine and unit counts of the given models. */
export function modelCounts(db: Db, uuids: string[]): Map<string, ModelCounts> {
  const out = new Map<string, ModelCounts>(uuids.map((u) => [u, { machines: 0, units: 0 }]));
  if (!uuids.length) return out;
  for (const r of db
    .select({ uuid: machines.modelUuid, n: count() })
    .from(machines)
    .where(inArray(machines.modelUuid, uuids))
    .groupBy(machines.modelUuid)
    .all()) {
    out.get(r.uuid)!.machines = r.n;
  }
  for (const r of db
    .select({ uuid: units.modelUuid, n: count() })
    .from(units)
    .where(inArray(units.modelUuid, uuids))
    .groupBy(units.modelUuid)
    .all()) {
    out.get(r.uuid)!.units = r.n;
  }
  return out;
}

/** Users with access to a model, ordered by name. */
export function listModelUsers(db: Db, modelUuid: string): ModelUserRow[] {
  return prepared(db, "listModelUsers", (d) =>
    d
      .select()
      .from(modelUsers)
      .where(eq(modelUsers.modelUuid, sql.placeholder("modelUuid")))
      .orderBy(asc(modelUsers.user))
      .prepare(),
  ).all({ modelUuid });
}

/** Stored model config (without defaults). */
export function getModelConfig(db: Db, modelUuid: string): Record<string, string> {
  const rows = db.select().from(modelConfig).where(eq(modelConfig.modelUuid, modelUuid)).all();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Replaces a model's stored config and bumps its generation (the etag). */
export function replaceModelConfig(db: Db, modelUuid: string, values: Record<string, string>): number {
  db.delete(modelConfig).where(eq(modelConfig.modelUuid, modelUuid)).run();
  const entries = Object.entries(values);
  if (entries.length) {
    db.insert(modelConfig)
      .values(entries.map(([key, value]) => ({ modelUuid, key, value })))
      .run();
  }
  const row = db.select({ g: models.configGeneration }).from(models).where(eq(models.uuid, modelUuid)).get();
  const next = (row?.g ?? 0) + 1;
  db.update(models).set({ configGeneration: next }).where(eq(models.uuid, modelUuid)).run();
  return next;
}

/**
 * Removes a model and everything it owns: machines, charms (with archives),
 * applications, units, relations, config, users, status history and log.
 * Several deletes: call it inside store.tx so nothing is left half-removed.
 */
export function deleteModelData(db: Db, modelUuid: string): void {
  db.delete(relationEndpoints).where(eq(relationEndpoints.modelUuid, modelUuid)).run();
  db.delete(relations).where(eq(relations.modelUuid, modelUuid)).run();
  db.delete(units).where(eq(units.modelUuid, modelUuid)).run();
  db.delete(applicationConfig).where(eq(applicationConfig.modelUuid, modelUuid)).run();
  db.delete(applications).where(eq(applications.modelUuid, modelUuid)).run();
  db.delete(charms).where(eq(charms.modelUuid, modelUuid)).run();
  db.delete(machines).where(eq(machines.modelUuid, modelUuid)).run();
  db.delete(modelConfig).where(eq(modelConfig.modelUuid, modelUuid)).run();
  db.delete(modelUsers).where(eq(modelUsers.modelUuid, modelUuid)).run();
  db.delete(statusHistory).where(eq(statusHistory.modelUuid, modelUuid)).run();
  db.delete(logEntries).where(eq(logEntries.modelUuid, modelUuid)).run();
  db.delete(logTransfers).where(eq(logTransfers.modelUuid, modelUuid)).run();
  db.delete(models).where(eq(models.uuid, modelUuid)).run();
}

/** Models that may have simulated work left (alive, not in a migration). */
export function listActiveModelUuids(db: Db): string[] {
  return db
    .select({ uuid: models.uuid })
    .from(models)
    .where(and(eq(models.life, "alive"), eq(models.migrationMode, "none")))
    .all()
    .map((r) => r.uuid);
}
