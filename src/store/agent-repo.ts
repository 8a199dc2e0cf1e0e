// Machine and unit agents: their credentials (password hashes, which travel
// with the model), their status, and their reports on a migration phase.
import { and, eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { machines, migrationMinionReports, units } from "./schema.js";
import { setMachineStatus, setUnitStatus, type StatusUpdate } from "./status-repo.js";

/** An agent tag: "machine-<id>" or "unit-<application>-<number>". */
export type AgentEntity = { kind: "machine"; id: string } | { kind: "unit"; name: string };

export function parseAgentTag(tag: string): AgentEntity | undefined {
  let m = /^machine-(\d+)$/.exec(tag);
  if (m) return { kind: "machine", id: m[1]! };
  m = /^unit-([a-z][a-z0-9-]*)-(\d+)$/.exec(tag);
  if (m) return { kind: "unit", name: `${m[1]}/${m[2]}` };
  return undefined;
}

/**
 * The stored password hash of an agent: null when it has none, undefined
 * when the entity does not exist.
 */
export function getAgentPasswordHash(db: Db, modelUuid: string, tag: string): string | null | undefined {
  const e = parseAgentTag(tag);
  if (!e) return undefined;
  if (e.kind === "machine") {
    const r = db
      .select({ h: machines.passwordHash })
      .from(machines)
      .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, e.id)))
      .get();
    return r ? r.h : undefined;
  }
  const r = db
    .select({ h: units.passwordHash })
    .from(units)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, e.name)))
    .get();
  return r ? r.h : undefined;
}

/** Sets an agent's password hash; false when the entity does not exist. */
export function setAgentPassword(db: Db, modelUuid: string, tag: string, hash: string): boolean {
  const e = parseAgentTag(tag);
  if (!e) return false;
  if (e.kind === "machine") {
    return (
      db
        .update(machines)
        .set({ passwordHash: hash })
        .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, e.id)))
        .run().changes > 0
    );
  }
  return (
    db
      .update(units)
      .set({ passwordHash: hash })
      .where(and(eq(units.modelUuid, modelUuid), eq(units.name, e.name)))
      .run().changes > 0
  );
}

/** Sets the agent status of the agent's entity; false when unchanged or missing. */
export function setAgentStatus(db: Db, modelUuid: string, tag: string, u: StatusUpdate, now: number): boolean {
  const e = parseAgentTag(tag);
  if (!e) return false;
  return e.kind === "machine"
    ? setMachineStatus(db, modelUuid, e.id, "agent", u, now)
    : setUnitStatus(db, modelUuid, e.name, "agent", u, now);
}

export type MinionReportRow = typeof migrationMinionReports.$inferSelect;

/** Records (or replaces) an agent's report on a migration phase. */
export function recordMinionReport(
  db: Db,
  r: { migrationId: string; phase: string; tag: string; success: boolean; now: number },
): void {
  db.insert(migrationMinionReports)
    .values({ migrationId: r.migrationId, phase: r.phase, tag: r.tag, success: r.success, reportedAt: r.now })
    .onConflictDoUpdate({
      target: [migrationMinionReports.migrationId, migrationMinionReports.phase, migrationMinionReports.tag],
      set: { success: r.success, reportedAt: r.now },
    })
    .run();
}

export function listMinionReports(db: Db, migrationId: string, phase: string): MinionReportRow[] {
  return db
    .select()
    .from(migrationMinionReports)
    .where(and(eq(migrationMinionReports.migrationId, migrationId), eq(migrationMinionReports.phase, phase)))
    .all();
}
