// Migrations of models away from this controller (the source side). The
// worker writes every phase change, message, timing and progress update
// through here, inside the same store.tx as the work the change records.
import { and, count, desc, eq, lt, lte, max, notInArray, or, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import { applications, logEntries, machines, migrations, relationEndpoints, relations, units } from "./schema.js";

export type MigrationRow = typeof migrations.$inferSelect;
export type NewMigrationRow = typeof migrations.$inferInsert;

/** Phases a migration ends in (kept in step with domain/phases isTerminal). */
const TERMINAL = ["DONE", "ABORTDONE", "REAPFAILED"];

/** What progress JSON holds; every field optional (older rows have "{}"). */
export interface ProgressRecord {
  entitiesDone?: number;
  entitiesTotal?: number;
  bytesDone?: number;
  bytesTotal?: number;
  logsDone?: number;
  agentsReported?: number;
  agentsPending?: number;
  /** When the document stream and the binary upload started (ms), for the estimate. */
  importStartedAt?: number;
  uploadStartedAt?: number;
  /** Bytes of the model document (for the estimate while importing). */
  documentBytes?: number;
}

export interface PhaseTimingRecord {
  phase: string;
  start: number;
  end?: number;
}

export function parseProgress(row: Pick<MigrationRow, "progress">): ProgressRecord {
  try {
    return JSON.parse(row.progress) as ProgressRecord;
  } catch {
    return {};
  }
}

export function parseTimings(row: Pick<MigrationRow, "phaseTimings">): PhaseTimingRecord[] {
  try {
    return JSON.parse(row.phaseTimings) as PhaseTimingRecord[];
  } catch {
    return [];
  }
}

export function insertMigration(db: Db, row: NewMigrationRow): MigrationRow {
  return db.insert(migrations).values(row).returning().get();
}

export function getMigration(db: Db, id: string): MigrationRow | undefined {
  return prepared(db, "getMigration", (d) =>
    d
      .select()
      .from(migrations)
      .where(eq(migrations.id, sql.placeholder("id")))
      .prepare(),
  ).get({ id });
}

/** The newest attempt of a model's migrations (the unique index serves it). */
export function latestMigration(db: Db, modelUuid: string): MigrationRow | undefined {
  return prepared(db, "latestMigration", (d) =>
    d
      .select()
      .from(migrations)
      .where(eq(migrations.modelUuid, sql.placeholder("m")))
      .orderBy(desc(migrations.attempt))
      .limit(1)
      .prepare(),
  ).get({ m: modelUuid });
}

/** The model's running migration, if any (only the newest attempt can run). */
export function activeMigration(db: Db, modelUuid: string): MigrationRow | undefined {
  const m = latestMigration(db, modelUuid);
  return m && !TERMINAL.includes(m.phase) ? m : undefined;
}

/** The attempt number a new migration of the model gets: previous max + 1, from 0. */
export function nextAttempt(db: Db, modelUuid: string): number {
  const r = db
    .select({ n: max(migrations.attempt) })
    .from(migrations)
    .where(eq(migrations.modelUuid, modelUuid))
    .get();
  return r?.n == null ? 0 : r.n + 1;
}

/** Migrations the worker must drive: not terminal, plus terminal ones with a token left to revoke. */
export function listUnfinishedMigrations(db: Db): MigrationRow[] {
  return db
    .select()
    .from(migrations)
    .where(or(notInArray(migrations.phase, TERMINAL), sql`${migrations.targetToken} <> ''`))
    .orderBy(migrations.startedAt)
    .all();
}

export function updateMigration(db: Db, id: string, set: Partial<Omit<MigrationRow, "id">>): void {
  db.update(migrations).set(set).where(eq(migrations.id, id)).run();
}

export interface MigrationPageQuery {
  modelUuid?: string;
  /** Continue strictly after this (startedAt, id) position, newest first. */
  after?: { startedAt: number; id: string };
  limit: number;
}

/** Migrations newest first (started_at desc, id desc). */
export function listMigrationsPage(db: Db, q: MigrationPageQuery): MigrationRow[] {
  const conds = [];
  if (q.modelUuid) conds.push(eq(migrations.modelUuid, q.modelUuid));
  if (q.after) {
    conds.push(
      or(
        lt(migrations.startedAt, q.after.startedAt),
        and(eq(migrations.startedAt, q.after.startedAt), lt(migrations.id, q.after.id)),
      )!,
    );
  }
  return db
    .select()
    .from(migrations)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(migrations.startedAt), desc(migrations.id))
    .limit(q.limit)
    .all();
}

/** Migrations of models with this owner/name (the model may be gone: migrated away). */
export function findMigrationsByModelName(db: Db, owner: string, name: string): MigrationRow[] {
  return db
    .select()
    .from(migrations)
    .where(and(eq(migrations.modelOwner, owner), eq(migrations.modelName, name)))
    .orderBy(desc(migrations.startedAt))
    .all();
}

/** Log entries of a model up to and including `seq` (how many a log transfer already delivered). */
export function countLogEntriesUpTo(db: Db, modelUuid: string, seq: number): number {
  return (
    db
      .select({ n: count() })
      .from(logEntries)
      .where(and(eq(logEntries.modelUuid, modelUuid), lte(logEntries.seq, seq)))
      .get()?.n ?? 0
  );
}

/** Just the columns the source prechecks decide on (a 100k-unit model stays cheap to check). */
export interface PrecheckRows {
  machines: { id: string; life: string; agentStatus: string }[];
  units: { name: string; application: string; life: string; agentStatus: string }[];
  relations: { key: string; status: string; applications: string[] }[];
  applicationCount: number;
}

export function readPrecheckRows(db: Db, modelUuid: string): PrecheckRows {
  const ms = db
    .select({ id: machines.id, life: machines.life, agentStatus: machines.agentStatus })
    .from(machines)
    .where(eq(machines.modelUuid, modelUuid))
    .orderBy(machines.seq)
    .all();
  const us = db
    .select({ name: units.name, application: units.application, life: units.life, agentStatus: units.agentStatus })
    .from(units)
    .where(eq(units.modelUuid, modelUuid))
    .orderBy(units.application, units.number)
    .all();
  const rels = db
    .select({ id: relations.id, key: relations.key, status: relations.status })
    .from(relations)
    .where(eq(relations.modelUuid, modelUuid))
    .orderBy(relations.id)
    .all();
  const eps = db
    .select({ id: relationEndpoints.relationId, application: relationEndpoints.application })
    .from(relationEndpoints)
    .where(eq(relationEndpoints.modelUuid, modelUuid))
    .all();
  const apps = new Map<number, string[]>();
  for (const e of eps) apps.set(e.id, [...(apps.get(e.id) ?? []), e.application]);
  const applicationCount =
    db.select({ n: count() }).from(applications).where(eq(applications.modelUuid, modelUuid)).get()?.n ?? 0;
  return {
    machines: ms,
    units: us,
    relations: rels.map((r) => ({ key: r.key, status: r.status, applications: apps.get(r.id) ?? [] })),
    applicationCount,
  };
}
