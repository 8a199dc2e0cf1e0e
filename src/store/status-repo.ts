// Status of every entity: setting it (always with a status_history row, so the
// history is complete whoever changes a status: simulator, agents, migration
// worker) and reading a model's whole state in one go for a full status.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import type { ModelRow } from "./access-repo.js";
import { findModelByUuid } from "./access-repo.js";
import {
  applications,
  charms,
  machines,
  models,
  relationEndpoints,
  relations,
  statusHistory,
  units,
} from "./schema.js";

export type MachineRow = typeof machines.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type UnitRow = typeof units.$inferSelect;
export type RelationRow = typeof relations.$inferSelect;
export type RelationEndpointRow = typeof relationEndpoints.$inferSelect;
export type RelationWithEndpoints = RelationRow & { endpoints: RelationEndpointRow[] };

export type StatusKind = "model" | "agent" | "instance" | "workload" | "relation";

export interface StatusUpdate {
  status: string;
  message?: string;
}

export function appendStatusHistory(
  db: Db,
  modelUuid: string,
  entity: string,
  kind: StatusKind,
  status: string,
  message: string,
  since: number,
): void {
  db.insert(statusHistory).values({ modelUuid, entity, kind, status, message, since }).run();
}

/** Sets a machine's agent or instance status; false when it did not change. */
export function setMachineStatus(
  db: Db,
  modelUuid: string,
  id: string,
  which: "agent" | "instance",
  u: StatusUpdate,
  now: number,
): boolean {
  const m = db
    .select()
    .from(machines)
    .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)))
    .get();
  if (!m) return false;
  const message = u.message ?? "";
  const [cur, curMsg] = which === "agent" ? [m.agentStatus, m.agentMessage] : [m.instanceStatus, m.instanceMessage];
  if (cur === u.status && curMsg === message) return false;
  const set =
    which === "agent"
      ? { agentStatus: u.status, agentMessage: message, agentSince: now }
      : { instanceStatus: u.status, instanceMessage: message, instanceSince: now };
  db.update(machines)
    .set(set)
    .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)))
    .run();
  appendStatusHistory(db, modelUuid, `machine-${id}`, which, u.status, message, now);
  return true;
}

/** Sets a unit's agent or workload status; false when it did not change. */
export function setUnitStatus(
  db: Db,
  modelUuid: string,
  name: string,
  which: "agent" | "workload",
  u: StatusUpdate,
  now: number,
): boolean {
  const row = db
    .select()
    .from(units)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
    .get();
  if (!row) return false;
  const message = u.message ?? "";
  const [cur, curMsg] =
    which === "agent" ? [row.agentStatus, row.agentMessage] : [row.workloadStatus, row.workloadMessage];
  if (cur === u.status && curMsg === message) return false;
  const set =
    which === "agent"
      ? { agentStatus: u.status, agentMessage: message, agentSince: now }
      : { workloadStatus: u.status, workloadMessage: message, workloadSince: now };
  db.update(units)
    .set(set)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
    .run();
  appendStatusHistory(db, modelUuid, `unit-${name.replace("/", "-")}`, which, u.status, message, now);
  return true;
}

export function setRelationStatus(db: Db, modelUuid: string, id: number, u: StatusUpdate, now: number): boolean {
  const row = db
    .select()
    .from(relations)
    .where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, id)))
    .get();
  const message = u.message ?? "";
  if (!row || (row.status === u.status && row.statusMessage === message)) return false;
  db.update(relations)
    .set({ status: u.status, statusMessage: message, statusSince: now })
    .where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, id)))
    .run();
  appendStatusHistory(db, modelUuid, `relation-${id}`, "relation", u.status, message, now);
  return true;
}

/** Sets the model's status ("available", "busy" with a migration message). */
export function setModelStatus(db: Db, modelUuid: string, u: StatusUpdate, now: number): boolean {
  const row = findModelByUuid(db, modelUuid);
  const message = u.message ?? "";
  if (!row || (row.status === u.status && row.statusMessage === message)) return false;
  db.update(models)
    .set({ status: u.status, statusMessage: message, statusSince: now })
    .where(eq(models.uuid, modelUuid))
    .run();
  appendStatusHistory(db, modelUuid, "model", "model", u.status, message, now);
  return true;
}

export interface StatusHistoryRow {
  entity: string;
  kind: string;
  status: string;
  message: string;
  since: number;
}

/** The status history of one entity ("machine-0", "unit-wordpress-0", "model"), oldest first. */
export function readStatusHistory(db: Db, modelUuid: string, entity: string): StatusHistoryRow[] {
  return db
    .select({
      entity: statusHistory.entity,
      kind: statusHistory.kind,
      status: statusHistory.status,
      message: statusHistory.message,
      since: statusHistory.since,
    })
    .from(statusHistory)
    .where(and(eq(statusHistory.modelUuid, modelUuid), eq(statusHistory.entity, entity)))
    .orderBy(asc(statusHistory.id))
    .all();
}

/** A charm as status needs it (no archive bytes). */
export interface CharmSummaryRow {
  url: string;
  name: string;
  revision: number;
}

/** Everything a full status shows, read in one transaction by the caller. */
export interface ModelSnapshot {
  model: ModelRow;
  machines: MachineRow[];
  applications: ApplicationRow[];
  units: UnitRow[];
  relations: RelationWithEndpoints[];
  charms: Map<string, CharmSummaryRow>;
}

export function listRelationsWithEndpoints(db: Db, modelUuid: string): RelationWithEndpoints[] {
  const rels = prepared(db, "listRelations", (d) =>
    d
      .select()
      .from(relations)
      .where(eq(relations.modelUuid, sql.placeholder("m")))
      .orderBy(asc(relations.id))
      .prepare(),
  ).all({ m: modelUuid });
  const eps = prepared(db, "listRelationEndpoints", (d) =>
    d
      .select()
      .from(relationEndpoints)
      .where(eq(relationEndpoints.modelUuid, sql.placeholder("m")))
      .prepare(),
  ).all({ m: modelUuid });
  const byId = new Map<number, RelationEndpointRow[]>();
  for (const e of eps) {
    const list = byId.get(e.relationId) ?? [];
    list.push(e);
    byId.set(e.relationId, list);
  }
  return rels.map((r) => ({ ...r, endpoints: byId.get(r.id) ?? [] }));
}

/** Reads a model's state; undefined when the model no longer exists. */
export function loadModelSnapshot(db: Db, modelUuid: string): ModelSnapshot | undefined {
  const model = findModelByUuid(db, modelUuid);
  if (!model) return undefined;
  const m = { m: modelUuid };
  const charmRows = prepared(db, "snapshotCharms", (d) =>
    d
      .select({ url: charms.url, name: charms.name, revision: charms.revision })
      .from(charms)
      .where(eq(charms.modelUuid, sql.placeholder("m")))
      .prepare(),
  ).all(m);
  return {
    model,
    machines: prepared(db, "snapshotMachines", (d) =>
      d
        .select()
        .from(machines)
        .where(eq(machines.modelUuid, sql.placeholder("m")))
        .orderBy(asc(machines.seq))
        .prepare(),
    ).all(m),
    applications: prepared(db, "snapshotApplications", (d) =>
      d
        .select()
        .from(applications)
        .where(eq(applications.modelUuid, sql.placeholder("m")))
        .orderBy(asc(applications.name))
        .prepare(),
    ).all(m),
    units: prepared(db, "snapshotUnits", (d) =>
      d
        .select()
        .from(units)
        .where(eq(units.modelUuid, sql.placeholder("m")))
        .orderBy(asc(units.application), asc(units.number))
        .prepare(),
    ).all(m),
    relations: listRelationsWithEndpoints(db, modelUuid),
    charms: new Map(charmRows.map((c) => [c.url, c])),
  };
}
