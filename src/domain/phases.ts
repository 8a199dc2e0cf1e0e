// The migration phase machine (migration.md section 2), as data: the legal
// transitions are a table, and terminal phases are derived from it (phases
// with nowhere to go), as the reference system does in core/migration.

export const PHASES = [
  "QUIESCE",
  "IMPORT",
  "PROCESSRELATIONS",
  "VALIDATION",
  "SUCCESS",
  "LOGTRANSFER",
  "REAP",
  "DONE",
  "ABORT",
  "ABORTDONE",
  "REAPFAILED",
] as const;

export type Phase = (typeof PHASES)[number];

export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  QUIESCE: ["IMPORT", "ABORT"],
  IMPORT: ["PROCESSRELATIONS", "ABORT"],
  PROCESSRELATIONS: ["VALIDATION", "ABORT"],
  VALIDATION: ["SUCCESS", "ABORT"],
  // Point of no return: nothing after SUCCESS may go to ABORT.
  SUCCESS: ["LOGTRANSFER"],
  LOGTRANSFER: ["REAP"],
  REAP: ["DONE", "REAPFAILED"],
  DONE: [],
  ABORT: ["ABORTDONE"],
  ABORTDONE: [],
  REAPFAILED: [],
};

/** Phases with nowhere to go: DONE, ABORTDONE, REAPFAILED. */
export const TERMINAL_PHASES: readonly TerminalPhase[] = PHASES.filter(
  (p) => TRANSITIONS[p].length === 0,
) as TerminalPhase[];

export function isPhase(s: string): s is Phase {
  return (PHASES as readonly string[]).includes(s);
}

/** The phases with nowhere to go (kept in step with TRANSITIONS: a test checks). */
export type TerminalPhase = "DONE" | "ABORTDONE" | "REAPFAILED";
/** The phases a migration is driven through: each has a step (migration/steps.ts). */
export type ActivePhase = Exclude<Phase, TerminalPhase>;

export function isTerminal(p: Phase): p is TerminalPhase {
  return TRANSITIONS[p].length === 0;
}

/** Whether the migration is still running (not in a terminal phase). */
export function isActive(p: Phase): boolean {
  return !isTerminal(p);
}

/** Whether an abort may still be requested: only before SUCCESS. */
export function canAbort(p: Phase): boolean {
  return TRANSITIONS[p].includes("ABORT");
}

/** Whether the destination may own the model: SUCCESS and after (not aborts). */
export function isCommitted(p: Phase): boolean {
  return ["SUCCESS", "LOGTRANSFER", "REAP", "DONE", "REAPFAILED"].includes(p);
}

export class IllegalPhaseChange extends Error {
  constructor(
    readonly from: Phase,
    readonly to: Phase,
  ) {
    super(`illegal phase change: ${from} -> ${to}`);
  }
}

/** Checks a transition; throws IllegalPhaseChange for any edge not in the table. */
export function checkTransition(from: Phase, to: Phase): void {
  if (!TRANSITIONS[from].includes(to)) throw new IllegalPhaseChange(from, to);
}

/**
 * The commit point, inside VALIDATION, as data (migrations.activation_sent_at):
 * "pending" until the worker is about to send Activate, then "sent" for good.
 * From "sent" on the destination may own the model, so no failure and no
 * abort request leads to ABORT until the destination says it does not.
 * Resume-after-restart decides on this, never on a status message.
 */
export type ActivationStage = "pending" | "sent";

export const ACTIVATION_TRANSITIONS: Readonly<Record<ActivationStage, readonly ActivationStage[]>> = {
  pending: ["sent"],
  sent: [],
};

export function activationStage(row: { activationSentAt: number | null }): ActivationStage {
  return row.activationSentAt === null ? "pending" : "sent";
}

export class IllegalStageChange extends Error {
  constructor(what: string, from: string, to: string) {
    super(`illegal ${what} change: ${from} -> ${to}`);
  }
}

export function checkActivationTransition(from: ActivationStage, to: ActivationStage): void {
  if (!ACTIVATION_TRANSITIONS[from].includes(to)) throw new IllegalStageChange("activation stage", from, to);
}

/**
 * The status messages users see, in order on the happy path (migration.md
 * section 3). The model's status message is "migrating: <message>".
 */
export const MESSAGES = {
  starting: "starting",
  sourcePrechecks: "performing source prechecks",
  targetPrechecks: "performing target prechecks",
  quiescing: "quiescing, waiting for agents to report back",
  exporting: "exporting model",
  importing: "importing model into destination controller",
  uploading: "uploading model binaries into destination controller",
  relations: "processing relations",
  validatingAgents: "validating, waiting for agents to report back",
  checkingMachines: "checking machines in migrated model",
  activating: "activating model in destination controller",
  switchingAgents: "successful, waiting for agents to switch to destination controller",
  transferringLogs: (sent: number) => `successful, transferring logs to destination controller (${sent} sent)`,
  reaping: "successful, removing model from source controller",
  aborted: (cause: string) => `aborted, removing model from destination controller: ${cause}`,
  /** ABORTDONE: the same words, past tense, so Notes does not say "removing" for ever after. */
  abortDone: (cause: string) => `aborted, removed model from destination controller: ${cause}`,
} as const;
