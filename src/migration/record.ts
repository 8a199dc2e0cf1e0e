// Recording a migration's progress on the source. Each function writes the
// migration row and the model's status line together and must run inside the
// store.tx of the work it records, so what users see and what the worker
// resumes from never disagree with what was done.
import { eq } from "drizzle-orm";
import { checkTransition, isPhase, isTerminal, type Phase } from "../domain/phases.js";
import type { Db } from "../store/db.js";
import {
  getMigration,
  parseProgress,
  parseTimings,
  updateMigration,
  type MigrationRow,
  type ProgressRecord,
} from "../store/migration-repo.js";
import { models } from "../store/schema.js";
import { setModelStatus } from "../store/status-repo.js";

export const MIGRATING_PREFIX = "migrating: ";

export function phaseOf(row: Pick<MigrationRow, "phase">): Phase {
  if (!isPhase(row.phase)) throw new Error(`unknown migration phase "${row.phase}"`);
  return row.phase;
}

function mustGet(db: Db, id: string): MigrationRow {
  const row = getMigration(db, id);
  if (!row) throw new Error(`migration ${id} vanished`);
  return row;
}

/** Shows `message` as the migration's and the model's status (busy) while it runs. */
function showBusy(db: Db, row: MigrationRow, message: string, now: number): void {
  const model = db.select({ uuid: models.uuid }).from(models).where(eq(models.uuid, row.modelUuid)).get();
  if (model) setModelStatus(db, row.modelUuid, { status: "busy", message: MIGRATING_PREFIX + message }, now);
}

export interface PhaseChange {
  message: string;
  /** Other columns written in the same statement (failure, export digest, ...). */
  set?: Partial<Omit<MigrationRow, "id" | "phase">>;
  progress?: Partial<ProgressRecord>;
}

/**
 * Moves a migration to `to` (refusing edges the phase table does not have),
 * closing the current phase's timing and opening the next. Non-terminal
 * phases also show the message on the model; terminal ones leave the model
 * to the caller (reaped, or unlocked by an abort).
 */
export function enterPhase(db: Db, id: string, to: Phase, change: PhaseChange, now: number): MigrationRow {
  const row = mustGet(db, id);
  checkTransition(phaseOf(row), to);
  const timings = parseTimings(row);
  const open = timings[timings.length - 1];
  if (open && open.end === undefined) open.end = now;
  timings.push(isTerminal(to) ? { phase: to, start: now, end: now } : { phase: to, start: now });
  const progress = change.progress ? { ...parseProgress(row), ...change.progress } : undefined;
  const set = {
    ...change.set,
    phase: to,
    phaseChangedAt: now,
    statusMessage: change.message,
    phaseTimings: JSON.stringify(timings),
    ...(progress ? { progress: JSON.stringify(progress) } : {}),
    ...(isTerminal(to) ? { endedAt: now } : {}),
  };
  updateMigration(db, id, set);
  const next = { ...row, ...set };
  if (!isTerminal(to)) showBusy(db, next, change.message, now);
  return next;
}

/** Changes the status message within the current phase (and the model's status line). */
export function setMessage(
  db: Db,
  id: string,
  message: string,
  now: number,
  progress?: Partial<ProgressRecord>,
  extra: Partial<Omit<MigrationRow, "id" | "phase">> = {},
): MigrationRow {
  const row = mustGet(db, id);
  const set = {
    ...extra,
    statusMessage: message,
    ...(progress ? { progress: JSON.stringify({ ...parseProgress(row), ...progress }) } : {}),
  };
  updateMigration(db, id, set);
  const next = { ...row, ...set };
  showBusy(db, next, message, now);
  return next;
}

/** Merges counters into the progress record (no message change). */
export function setProgress(db: Db, id: string, progress: Partial<ProgressRecord>): void {
  const row = mustGet(db, id);
  updateMigration(db, id, { progress: JSON.stringify({ ...parseProgress(row), ...progress }) });
}
