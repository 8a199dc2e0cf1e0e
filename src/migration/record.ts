// Recording a migration's progress on the source. Each function writes the
// migration row and the model's status line together and must run inside the
// write of the work it records, so what users see and what the worker
// resumes from never disagree with what was done.
import { processMetrics } from "../metrics.js";
import {
  activationStage,
  checkActivationTransition,
  checkTransition,
  isPhase,
  isTerminal,
  type Phase,
} from "../domain/phases.js";
import { parseProgress, parseTimings, type MigrationRow, type ProgressRecord, type Repos } from "../store/index.js";

export const MIGRATING_PREFIX = "migrating: ";

export function phaseOf(row: Pick<MigrationRow, "phase">): Phase {
  if (!isPhase(row.phase)) throw new Error(`unknown migration phase "${row.phase}"`);
  return row.phase;
}

async function mustGet(tx: Repos, id: string): Promise<MigrationRow> {
  const row = await tx.migrations.get(id);
  if (!row) throw new Error(`migration ${id} vanished`);
  return row;
}

/** Shows `message` as the migration's and the model's status (busy) while it runs. */
async function showBusy(tx: Repos, row: MigrationRow, message: string, now: number): Promise<void> {
  // setStatus does nothing for a model that is gone (after REAP).
  await tx.models.setStatus(row.modelUuid, { status: "busy", message: MIGRATING_PREFIX + message }, now);
}

export type MigrationUpdate = Partial<Omit<MigrationRow, "id" | "phase" | "activationSentAt">>;

export interface PhaseChange {
  message: string;
  /** Other columns written in the same statement (failure, export digest, ...). */
  set?: MigrationUpdate;
  progress?: Partial<ProgressRecord>;
}

/**
 * Moves a migration to `to` (refusing edges the phase table does not have),
 * closing the current phase's timing and opening the next. Non-terminal
 * phases also show the message on the model; terminal ones leave the model
 * to the caller (reaped, or unlocked by an abort).
 */
/** A migration's line in its model's log (when the model is still here). */
export async function migrationLog(
  tx: Repos,
  modelUuid: string,
  id: string,
  message: string,
  now: number,
): Promise<void> {
  if (!(await tx.models.byUuid(modelUuid))) return;
  await tx.logs.append(modelUuid, {
    entity: "model",
    level: "INFO",
    module: "ferry.migration",
    message: `migration ${id}: ${message}`,
    time: now,
  });
}

/**
 * Metrics for a phase change that committed (`next` is what enterPhase
 * returned): the phase it closed, and the outcome when it ended the migration.
 */
export function observeEntered(next: MigrationRow): void {
  const m = processMetrics;
  if (!m) return;
  const timings = parseTimings(next);
  const closed = timings[timings.length - 2];
  if (closed?.end !== undefined) m.phaseEnded(closed.phase, (closed.end - closed.start) / 1000);
  const outcome = { DONE: "done", ABORTDONE: "aborted", REAPFAILED: "reap_failed" } as const;
  const ended = outcome[next.phase as keyof typeof outcome];
  if (ended) {
    const p = parseProgress(next);
    m.migrationEnded({ outcome: ended, bytes: p.bytesTotal ?? 0, entities: p.entitiesTotal ?? 0 });
  }
}

export async function enterPhase(
  tx: Repos,
  id: string,
  to: Phase,
  change: PhaseChange,
  now: number,
): Promise<MigrationRow> {
  const row = await mustGet(tx, id);
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
  await tx.migrations.update(row, set);
  // Each phase change is a line of the model's log too: debug-log tells the story.
  await migrationLog(tx, row.modelUuid, id, `phase ${to}${change.message ? `: ${change.message}` : ""}`, now);
  const next = { ...row, ...set };
  if (!isTerminal(to)) await showBusy(tx, next, change.message, now);
  return next;
}

/** Changes the status message within the current phase (and the model's status line). */
export async function setMessage(
  tx: Repos,
  id: string,
  message: string,
  now: number,
  progress?: Partial<ProgressRecord>,
  extra: MigrationUpdate = {},
): Promise<MigrationRow> {
  const row = await mustGet(tx, id);
  const set = {
    ...extra,
    statusMessage: message,
    ...(progress ? { progress: JSON.stringify({ ...parseProgress(row), ...progress }) } : {}),
  };
  await tx.migrations.update(row, set);
  const next = { ...row, ...set };
  await showBusy(tx, next, message, now);
  return next;
}

/**
 * Records that Activate is about to be sent (the commit point's stage, see
 * domain/phases ACTIVATION_TRANSITIONS), with its message. Idempotent.
 */
export async function markActivationSent(tx: Repos, id: string, message: string, now: number): Promise<MigrationRow> {
  const row = await mustGet(tx, id);
  if (phaseOf(row) !== "VALIDATION") throw new Error(`activation outside VALIDATION (${row.phase})`);
  const from = activationStage(row);
  if (from !== "sent") checkActivationTransition(from, "sent");
  const set = { statusMessage: message, activationSentAt: row.activationSentAt ?? now };
  await tx.migrations.update(row, set);
  const next = { ...row, ...set };
  await showBusy(tx, next, message, now);
  return next;
}

/** Merges counters into the progress record (no message change). */
export async function setProgress(tx: Repos, id: string, progress: Partial<ProgressRecord>): Promise<void> {
  const row = await mustGet(tx, id);
  await tx.migrations.update(row, { progress: JSON.stringify({ ...parseProgress(row), ...progress }) });
}
