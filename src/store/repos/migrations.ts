// Migrations of models away from this controller (the source side), and the
// agents' reports on their phases. The worker writes every phase change,
// message, timing and progress update through here, inside the same
// transaction as the work the change records.
import { and, count, desc, eq, lt, max, notInArray, or, sql } from "drizzle-orm";
import { TERMINAL_PHASES } from "../../domain/phases.js";
import type { MigrationRow, MinionReportRow, NewMigrationRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

/** What progress JSON holds; every field optional (older rows have "{}"). */
export interface ProgressRecord {
  entitiesDone?: number;
  entitiesTotal?: number;
  bytesDone?: number;
  bytesTotal?: number;
  logsDone?: number;
  agentsReported?: number;
  agentsPending?: number;
  /** Agents waited for in the latest agent phase (reported + pending). */
  agentsTotal?: number;
  /** Whether the latest agent phase looked for agents (0 total: none connected). */
  agentsChecked?: boolean;
  /** Agents that reported switching in SUCCESS. */
  agentsSwitched?: number;
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

export interface MigrationPageQuery {
  modelUuid?: string;
  /** Continue strictly after this (startedAt, id) position, newest first. */
  after?: { startedAt: number; id: string };
  limit: number;
}

/** Just the columns the source prechecks decide on (a 100k-unit model stays cheap to check). */
export interface PrecheckRows {
  machines: { id: string; life: string; agentStatus: string }[];
  units: { name: string; application: string; life: string; agentStatus: string }[];
  relations: { key: string; status: string; applications: string[] }[];
  applicationCount: number;
}

const TERMINAL: string[] = [...TERMINAL_PHASES];

export class MigrationRepo extends Repo {
  async insert(row: NewMigrationRow): Promise<MigrationRow> {
    const [out] = await this.db.insert(this.t.migrations).values(row).returning();
    this.s.touch(row.modelUuid, "status", "migration");
    return out!;
  }

  async get(id: string): Promise<MigrationRow | undefined> {
    const { migrations } = this.t;
    const q = this.s.prepared("migration", (db) =>
      db
        .select()
        .from(migrations)
        .where(eq(migrations.id, sql.placeholder("id")))
        .prepare("migration"),
    );
    return first(await q.execute({ id }));
  }

  /** The newest attempt of a model's migrations (the unique index serves it). */
  async latest(modelUuid: string): Promise<MigrationRow | undefined> {
    const { migrations } = this.t;
    const q = this.s.prepared("latestMigration", (db) =>
      db
        .select()
        .from(migrations)
        .where(eq(migrations.modelUuid, sql.placeholder("m")))
        .orderBy(desc(migrations.attempt))
        .limit(1)
        .prepare("latestMigration"),
    );
    return first(await q.execute({ m: modelUuid }));
  }

  /** The model's running migration, if any (only the newest attempt can run). */
  async active(modelUuid: string): Promise<MigrationRow | undefined> {
    const m = await this.latest(modelUuid);
    return m && !TERMINAL.includes(m.phase) ? m : undefined;
  }

  /** The attempt number a new migration of the model gets: previous max + 1, from 0. */
  async nextAttempt(modelUuid: string): Promise<number> {
    const { migrations } = this.t;
    const r = first(
      await this.db
        .select({ n: max(migrations.attempt) })
        .from(migrations)
        .where(eq(migrations.modelUuid, modelUuid)),
    );
    return r?.n == null ? 0 : r.n + 1;
  }

  /** Migrations the worker must drive: not terminal, plus terminal ones with a token left to revoke. */
  async listUnfinished(): Promise<MigrationRow[]> {
    const { migrations } = this.t;
    return this.db
      .select()
      .from(migrations)
      .where(or(notInArray(migrations.phase, TERMINAL), sql`${migrations.targetToken} <> ''`))
      .orderBy(migrations.startedAt);
  }

  /** How many migrations (this controller's, as the source) are in each phase: for metrics. */
  async countByPhase(): Promise<Record<string, number>> {
    const { migrations } = this.t;
    const rows = await this.db
      .select({ phase: migrations.phase, n: count() })
      .from(migrations)
      .groupBy(migrations.phase);
    return Object.fromEntries(rows.map((r: { phase: string; n: number }) => [r.phase, Number(r.n)]));
  }

  /** Updates a migration's columns (the model's watchers hear of it). */
  async update(row: Pick<MigrationRow, "id" | "modelUuid">, set: Partial<Omit<MigrationRow, "id">>): Promise<void> {
    const { migrations } = this.t;
    await this.db.update(migrations).set(set).where(eq(migrations.id, row.id));
    this.s.touch(row.modelUuid, "status", "migration");
  }

  /** Migrations newest first (started_at desc, id desc). */
  async listPage(q: MigrationPageQuery): Promise<MigrationRow[]> {
    const { migrations } = this.t;
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
    return this.db
      .select()
      .from(migrations)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(migrations.startedAt), desc(migrations.id))
      .limit(q.limit);
  }

  async precheckRows(modelUuid: string): Promise<PrecheckRows> {
    const { machines, units, relations, relationEndpoints, applications } = this.t;
    const ms = await this.db
      .select({ id: machines.id, life: machines.life, agentStatus: machines.agentStatus })
      .from(machines)
      .where(eq(machines.modelUuid, modelUuid))
      .orderBy(machines.seq);
    const us = await this.db
      .select({ name: units.name, application: units.application, life: units.life, agentStatus: units.agentStatus })
      .from(units)
      .where(eq(units.modelUuid, modelUuid))
      .orderBy(units.application, units.number);
    const rels = await this.db
      .select({ id: relations.id, key: relations.key, status: relations.status })
      .from(relations)
      .where(eq(relations.modelUuid, modelUuid))
      .orderBy(relations.id);
    const eps = await this.db
      .select({ id: relationEndpoints.relationId, application: relationEndpoints.application })
      .from(relationEndpoints)
      .where(eq(relationEndpoints.modelUuid, modelUuid))
      .orderBy(relationEndpoints.relationId, relationEndpoints.application, relationEndpoints.endpoint);
    const apps = new Map<number, string[]>();
    for (const e of eps) apps.set(e.id, [...(apps.get(e.id) ?? []), e.application]);
    const appCount = first(
      await this.db.select({ n: count() }).from(applications).where(eq(applications.modelUuid, modelUuid)),
    );
    return {
      machines: ms,
      units: us,
      relations: rels.map((r) => ({ key: r.key, status: r.status, applications: apps.get(r.id) ?? [] })),
      applicationCount: appCount?.n ?? 0,
    };
  }

  /** Records (or replaces) an agent's report on a migration phase. */
  async recordMinionReport(r: {
    migrationId: string;
    phase: string;
    tag: string;
    success: boolean;
    now: number;
  }): Promise<void> {
    const { migrationMinionReports: mr } = this.t;
    await this.db
      .insert(mr)
      .values({ migrationId: r.migrationId, phase: r.phase, tag: r.tag, success: r.success, reportedAt: r.now })
      .onConflictDoUpdate({
        target: [mr.migrationId, mr.phase, mr.tag],
        set: { success: r.success, reportedAt: r.now },
      });
  }

  async minionReports(migrationId: string, phase: string): Promise<MinionReportRow[]> {
    const { migrationMinionReports: mr } = this.t;
    return this.db
      .select()
      .from(mr)
      .where(and(eq(mr.migrationId, migrationId), eq(mr.phase, phase)))
      .orderBy(mr.tag);
  }
}
