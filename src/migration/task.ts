// One running migration as the phase steps see it: guarded transactions that
// record progress (and notify watchers), the connection to the destination
// with retries, abort requests, and the test knobs. The steps themselves
// (steps.ts) only decide what to do; this file decides how to survive doing it.
import type { ControllerIdentity } from "../domain/controller.js";
import type { Phase } from "../domain/phases.js";
import type { ChangeHub, Fence, MigrationRow, ProgressRecord, Repos, Store } from "../store/index.js";
import type { LeaseAccess } from "../cluster/cluster.js";
import type { AgentPresence } from "../services/agent-service.js";
import type { LogSink, Simulator } from "../services/simulator.js";
import {
  enterPhase,
  observeEntered,
  markActivationSent,
  setMessage,
  setProgress,
  type MigrationUpdate,
  type PhaseChange,
  migrationLog,
} from "./record.js";
import type { SecretBox } from "./secrets.js";
import {
  connectTarget,
  describeError,
  isPermanentRefusal,
  isRetryable,
  WrongControllerError,
  type TargetConnection,
  type TargetSpec,
} from "./target-client.js";
import type { ExportFn } from "./transfer.js";
import { sleep } from "../util/sleep.js";

export interface WorkerOptions {
  /** How long calls before SUCCESS keep retrying a down destination before the migration aborts. */
  retryBudgetMs: number;
  /** First and longest pause between retries. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deadline of each unary call to the destination. */
  unaryTimeoutMs: number;
  /** Minimum time between two progress writes while data streams. */
  progressIntervalMs: number;
  /** Test knob: pause this long at the start of every phase. */
  phaseDelayMs: number;
  /** Test knob: fail this phase on purpose. */
  failPhase?: Phase;
  /** Test knob: flip a byte of every binary sent, as a damaged transfer would. */
  corruptBinaries?: boolean;
  /** How long QUIESCE, VALIDATION and SUCCESS wait for agent reports. */
  agentTimeoutMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  retryBudgetMs: 10_000,
  retryBaseMs: 250,
  retryMaxMs: 5_000,
  unaryTimeoutMs: 15_000,
  progressIntervalMs: 250,
  phaseDelayMs: 0,
  agentTimeoutMs: 15 * 60_000,
};

export interface WorkerDeps {
  store: Store;
  controller: ControllerIdentity;
  changes: ChangeHub;
  simulator: Simulator;
  secrets: SecretBox;
  exportModel: ExportFn;
  log: LogSink;
  /** Agents connected to this controller, on any node (none when absent: the waits are skipped). */
  agents?: AgentPresence;
  /** Each migration is driven by one node at a time: the holder of "migration:<id>". */
  leases: LeaseAccess;
  /** How often to look for migrations nobody drives (default: a fifth of the lease time, at least 1 s). */
  rescanMs?: number;
  options: WorkerOptions;
  now?: () => number;
}

/** The worker is shutting down: leave the migration where it is, resume at the next start. */
export class Stopping extends Error {
  constructor() {
    super("migration worker stopping");
  }
}

/** A user asked for the migration to be aborted. */
export class AbortRequested extends Error {
  constructor() {
    super("abort requested");
  }
}

/** The step cannot go on; `message` is the root cause users will read. */
export class StepFailed extends Error {}

/** The destination stayed unreachable for the whole retry budget. */
export class Unreachable extends StepFailed {
  constructor(readonly inner: unknown) {
    super(`cannot connect to destination controller: ${describeError(inner)}`);
  }
}

/**
 * "bounded": before SUCCESS; "forever": after it; "untilRefused": like
 * "forever", but a permanent refusal (isPermanentRefusal) is thrown as is.
 */
export { sleep };

export type CallMode = "bounded" | "forever" | "untilRefused";

export class MigrationTask {
  /** Fired by an abort request: cancels streams in flight. */
  readonly abortCtl = new AbortController();
  /** Stop or abort request: what cancellable work listens to. */
  readonly streamSignal: AbortSignal;
  private conn: TargetConnection | undefined;
  private spec: TargetSpec | undefined;
  private pending: Partial<ProgressRecord> = {};
  /** Set when the migration ended and nothing is left to do for it (its lease can go). */
  finished = false;
  private lastFlush = 0;

  constructor(
    readonly deps: WorkerDeps,
    readonly id: string,
    readonly modelUuid: string,
    readonly stopSignal: AbortSignal,
    /** The lease this migration's work is done under: every write checks it (fencing). */
    readonly fence?: Fence,
  ) {
    this.streamSignal = AbortSignal.any([stopSignal, this.abortCtl.signal]);
  }

  get opts(): WorkerOptions {
    return this.deps.options;
  }

  now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async row(): Promise<MigrationRow> {
    const row = await this.deps.store.read((tx) => tx.migrations.get(this.id));
    if (!row) throw new Error(`migration ${this.id} vanished`);
    return row;
  }

  /**
   * One transaction of recorded work (watchers hear of it when it commits);
   * nothing is written once stopping, and nothing once the lease moved
   * (the store refuses the write with LeaseLost).
   */
  tx<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    if (this.stopSignal.aborted) throw new Stopping();
    return this.deps.store.write(fn, { fence: this.fence });
  }

  async enter(to: Phase, change: PhaseChange): Promise<MigrationRow> {
    await this.flushProgress();
    const next = await this.tx((tx) => enterPhase(tx, this.id, to, change, this.now()));
    observeEntered(next);
    return next;
  }

  /** A line in the model's log (debug-log on the source, and on the destination once logs are transferred). */
  async modelLog(message: string): Promise<void> {
    await this.tx((tx) => migrationLog(tx, this.modelUuid, this.id, message, this.now()));
  }

  async message(msg: string, progress?: Partial<ProgressRecord>, extra?: MigrationUpdate): Promise<MigrationRow> {
    await this.flushProgress();
    return this.tx((tx) => setMessage(tx, this.id, msg, this.now(), progress, extra));
  }

  /** Records, before Activate is sent, that it is (the commit point's stage). */
  async activationSent(msg: string): Promise<MigrationRow> {
    await this.flushProgress();
    return this.tx((tx) => markActivationSent(tx, this.id, msg, this.now()));
  }

  /** Records counters, at most every progressIntervalMs unless `force`. */
  async progress(patch: Partial<ProgressRecord>, force = false): Promise<void> {
    Object.assign(this.pending, patch);
    if (force || this.now() - this.lastFlush >= this.opts.progressIntervalMs) await this.flushProgress();
  }

  private async flushProgress(): Promise<void> {
    if (!Object.keys(this.pending).length) return;
    const patch = this.pending;
    this.pending = {};
    this.lastFlush = this.now();
    await this.tx((tx) => setProgress(tx, this.id, patch));
  }

  /** Throws AbortRequested when an abort was asked for (by signal or, after a restart, by the row). */
  async checkAbort(): Promise<void> {
    if (this.stopSignal.aborted) throw new Stopping();
    if (this.abortCtl.signal.aborted || (await this.row()).abortRequested) throw new AbortRequested();
  }

  /** Test knob FERRY_MIGRATION_TEST_DELAY_MS: a slow phase, still abortable. */
  async pause(_phase: Phase): Promise<void> {
    await sleep(this.opts.phaseDelayMs, this.streamSignal);
    await this.checkAbort();
  }

  /** Test knob FERRY_MIGRATION_FAIL_PHASE. */
  inject(phase: Phase): void {
    if (this.opts.failPhase === phase) {
      throw new StepFailed(`injected failure in ${phase} (FERRY_MIGRATION_FAIL_PHASE)`);
    }
  }

  /** The destination as stored; the token is decrypted only into memory. */
  async targetSpec(): Promise<TargetSpec> {
    if (this.spec) return this.spec;
    const row = await this.row();
    if (!row.targetToken) throw new StepFailed("the migration token was already discarded");
    let token: string;
    try {
      token = this.deps.secrets.open(row.targetToken, row.id);
    } catch (err) {
      throw new StepFailed(`cannot read the stored migration token: ${describeError(err)}`);
    }
    const addresses = JSON.parse(row.targetAddresses) as string[];
    this.spec = { controllerUuid: row.targetControllerUuid, addresses, caCert: row.targetCaCert, token };
    return this.spec;
  }

  async connection(): Promise<TargetConnection> {
    this.conn ??= await connectTarget(await this.targetSpec(), {
      signal: this.stopSignal,
      unaryTimeoutMs: this.opts.unaryTimeoutMs,
    });
    return this.conn;
  }

  dropConnection(): void {
    this.conn?.close();
    this.conn = undefined;
  }

  /**
   * Calls the destination. "bounded": retries connection-type failures for
   * retryBudgetMs, then throws Unreachable; other failures throw at once.
   * "forever" (after the point of no return): retries every failure with
   * backoff until it works or the worker stops. "untilRefused": the same,
   * but a permanent refusal (revoked token, gone model...) is thrown.
   */
  async call<T>(
    label: string,
    fn: (c: TargetConnection) => Promise<T>,
    mode: CallMode,
    /** Whether an abort request ends the retries (not while aborting already). */
    abortable = true,
  ): Promise<T> {
    const started = this.now();
    let delay = this.opts.retryBaseMs;
    for (let attempt = 1; ; attempt++) {
      if (this.stopSignal.aborted) throw new Stopping();
      try {
        return await fn(await this.connection());
      } catch (err) {
        if (this.stopSignal.aborted) throw new Stopping();
        if (mode === "bounded") {
          // After the point of no return even these are retried: giving up
          // is not an option there, and the destination may come back.
          if (err instanceof StepFailed) throw err;
          if (err instanceof WrongControllerError) throw new StepFailed(err.message);
          if (abortable && this.abortCtl.signal.aborted) throw new AbortRequested();
          if (!isRetryable(err))
            throw new StepFailed(`${label} failed on destination controller: ${describeError(err)}`);
          if (this.now() - started >= this.opts.retryBudgetMs) throw new Unreachable(err);
        }
        if (mode === "untilRefused" && isPermanentRefusal(err)) throw err;
        this.deps.log.warn("migration: destination call failed, retrying", {
          migration: this.id,
          call: label,
          attempt,
          error: describeError(err),
        });
        this.dropConnection();
        await sleep(delay, this.stopSignal);
        delay = Math.min(delay * 2, this.opts.retryMaxMs);
      }
    }
  }

  close(): void {
    this.dropConnection();
    this.spec = undefined;
  }
}
