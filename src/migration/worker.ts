// The migration worker on the source controller: one async task per active
// migration, driving it phase by phase (steps.ts) from whatever phase the
// store says it is in, so a restart (kill -9 included) resumes where the
// last recorded transaction left it. Failures before SUCCESS become ABORT
// with their root cause; after SUCCESS the step is retried until it works.
// Terminal migrations that still hold the destination's token are finished
// off here too: the token is revoked (CompleteMigration) or the partial
// import removed (Abort) before the token is wiped.
import { Code, ConnectError } from "@connectrpc/connect";
import { canAbort, isPhase, isTerminal, MESSAGES, type Phase } from "../domain/phases.js";
import { LeaseLost, type MigrationRow } from "../store/index.js";
import { phaseOf } from "./record.js";
import { STEPS } from "./steps.js";
import { describeError, isRetryable } from "./target-client.js";
import {
  AbortRequested,
  DEFAULT_WORKER_OPTIONS,
  MigrationTask,
  sleep,
  StepFailed,
  Stopping,
  type WorkerDeps,
  type WorkerOptions,
} from "./task.js";

export { DEFAULT_WORKER_OPTIONS, type WorkerDeps, type WorkerOptions } from "./task.js";

function envNumber(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid ${name}: ${v}`);
  return n;
}

/**
 * Worker settings from the environment. FERRY_MIGRATION_RETRY_MS bounds how
 * long a down destination is retried before an abort (before SUCCESS). The
 * FERRY_MIGRATION_TEST_* / FAIL_PHASE knobs exist for tests only: a slow
 * phase (to observe the frozen model) and a failure injected into a phase.
 * FERRY_MIGRATION_AGENT_TIMEOUT_MS bounds each wait for agent reports.
 */
export function workerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerOptions {
  const fail = env.FERRY_MIGRATION_FAIL_PHASE;
  if (fail && !isPhase(fail)) throw new Error(`invalid FERRY_MIGRATION_FAIL_PHASE: ${fail}`);
  const budget = envNumber(env, "FERRY_MIGRATION_RETRY_MS", DEFAULT_WORKER_OPTIONS.retryBudgetMs);
  return {
    ...DEFAULT_WORKER_OPTIONS,
    retryBudgetMs: budget,
    retryMaxMs: Math.max(50, Math.min(DEFAULT_WORKER_OPTIONS.retryMaxMs, budget / 2)),
    phaseDelayMs: envNumber(env, "FERRY_MIGRATION_TEST_DELAY_MS", 0),
    failPhase: fail ? (fail as Phase) : undefined,
    corruptBinaries: env.FERRY_MIGRATION_TEST_CORRUPT_BINARY === "1",
    agentTimeoutMs: envNumber(env, "FERRY_MIGRATION_AGENT_TIMEOUT_MS", DEFAULT_WORKER_OPTIONS.agentTimeoutMs),
  };
}

const leaseName = (id: string) => `migration:${id}`;

export class MigrationWorker {
  private readonly tasks = new Map<string, { task: MigrationTask; done: Promise<void> }>();
  private readonly starting = new Set<string>();
  private readonly stopCtl = new AbortController();
  private rescan: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WorkerDeps) {}

  /**
   * Starts driving a migration in the background, if this node can take its
   * lease (no-op if it already runs here; another node holds it otherwise).
   */
  start(id: string, modelUuid: string): void {
    void this.startLeased(id, modelUuid).catch((err: unknown) => {
      if (!this.stopping) this.deps.log.warn("migration: cannot start", { migration: id, error: describeError(err) });
    });
  }

  private async startLeased(id: string, modelUuid: string): Promise<void> {
    if (this.stopping || this.tasks.has(id) || this.starting.has(id)) return;
    this.starting.add(id);
    let fence;
    try {
      fence = await this.deps.leases.acquire(leaseName(id));
    } finally {
      this.starting.delete(id);
    }
    if (!fence || this.stopping || this.tasks.has(id)) return;
    // The task stops when the worker does, or when the lease is lost (another node drives it then).
    const lost = new AbortController();
    const unwatch = this.deps.leases.watch(leaseName(id), () => lost.abort());
    const task = new MigrationTask(
      this.deps,
      id,
      modelUuid,
      AbortSignal.any([this.stopCtl.signal, lost.signal]),
      fence,
    );
    this.deps.log.info("migration: driving", { migration: id, epoch: fence.epoch });
    const done = this.drive(task).finally(async () => {
      task.close();
      unwatch();
      this.tasks.delete(id);
      if (task.finished) await this.deps.leases.release(leaseName(id));
    });
    this.tasks.set(id, { task, done });
  }

  /**
   * Controller start, and every few seconds after: pick up every migration
   * that is not finished and that no node drives (its lease is free, or its
   * holder stopped renewing it: it died or froze).
   */
  async resume(): Promise<void> {
    if (this.stopping) return;
    for (const row of await this.deps.store.read((tx) => tx.migrations.listUnfinished())) {
      if (this.tasks.has(row.id) || this.starting.has(row.id)) continue;
      this.start(row.id, row.modelUuid);
    }
    if (!this.rescan && !this.stopping) {
      const every = this.deps.rescanMs ?? Math.max(1000, Math.floor(this.deps.leases.leaseTtlMs / 5));
      this.rescan = setInterval(() => {
        this.resume().catch((err: unknown) => {
          if (!this.stopping) this.deps.log.warn("migration: rescan failed", { error: describeError(err) });
        });
      }, every);
      this.rescan.unref();
    }
  }

  /** An abort was recorded for `id`: cancel its streams so it aborts promptly. */
  requestAbort(id: string): void {
    this.tasks.get(id)?.task.abortCtl.abort();
  }

  isRunning(id: string): boolean {
    return this.tasks.has(id);
  }

  /** Stops every task where it is (the store keeps its phase) and waits for them, at most `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopCtl.abort();
    clearInterval(this.rescan);
    const all = Promise.allSettled([...this.tasks.values()].map((t) => t.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private get stopping(): boolean {
    return this.stopCtl.signal.aborted;
  }

  private async drive(task: MigrationTask): Promise<void> {
    const { log } = this.deps;
    let seen = "";
    try {
      for (;;) {
        if (task.stopSignal.aborted) throw new Stopping();
        const row = await this.deps.store.read((tx) => tx.migrations.get(task.id));
        if (!row) return;
        const phase = phaseOf(row);
        if (phase !== seen) {
          log.info("migration: phase", { migration: task.id, phase, message: row.statusMessage });
          seen = phase;
        }
        if (isTerminal(phase)) {
          if (row.targetToken) await this.finalize(task, row);
          task.finished = !this.stopping;
          return;
        }
        try {
          await STEPS[phase](task, row);
        } catch (err) {
          if (err instanceof Stopping || err instanceof LeaseLost) throw err;
          if (this.stopping) return;
          if (canAbort(phase)) {
            const cause = await this.causeOf(err, task);
            log.warn("migration: aborting", { migration: task.id, phase, cause });
            await task.enter("ABORT", { message: MESSAGES.aborted(cause), set: { failure: cause } });
          } else {
            // After the point of no return there is no way back: try again.
            log.error("migration: step failed, retrying", { migration: task.id, phase, error: describeError(err) });
            await sleep(this.deps.options.retryMaxMs, task.stopSignal);
          }
        }
      }
    } catch (err) {
      if (err instanceof LeaseLost || (err instanceof Stopping && task.stopSignal.aborted && !this.stopping)) {
        // Another node took this migration over: it resumes from the stored
        // phase; this one writes nothing more for it.
        log.warn("migration: lease lost; another node drives this migration now", { migration: task.id });
        return;
      }
      if (err instanceof Stopping || this.stopping) return;
      // Only a failing store gets here (a transaction that recorded a phase
      // change failed); the next controller start resumes from the store.
      log.error("migration: worker task failed", { migration: task.id, error: describeError(err) });
    }
  }

  /** The root cause shown to users. */
  private async causeOf(err: unknown, task: MigrationTask): Promise<string> {
    if (err instanceof AbortRequested) return (await task.row()).failure || "abort requested";
    if (err instanceof StepFailed) return err.message;
    if (err instanceof ConnectError) return err.rawMessage;
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * A terminal migration still holding the token: after an abort make sure
   * the partial import is gone, then revoke the token on the destination
   * (CompleteMigration), retrying with backoff; then wipe it here.
   * A destination that rejects the token (expired, revoked) has nothing left
   * to do for us.
   */
  private async finalize(task: MigrationTask, row: MigrationRow): Promise<void> {
    const { log, options } = this.deps;
    const aborted = row.phase === "ABORTDONE";
    let delay = options.retryBaseMs;
    for (;;) {
      if (task.stopSignal.aborted) throw new Stopping();
      try {
        const c = await task.connection();
        // Abort is idempotent: repeated in case the ABORT phase could not reach the destination.
        if (aborted) await c.target.abort({ modelUuid: row.modelUuid, migrationId: row.id });
        await c.target.completeMigration({ modelUuid: row.modelUuid, migrationId: row.id });
        break;
      } catch (err) {
        if (task.stopSignal.aborted) throw new Stopping();
        const code = err instanceof ConnectError ? err.code : undefined;
        if (err instanceof StepFailed || !isRetryable(err) || code === Code.Unauthenticated) {
          log.warn("migration: giving up on finishing the migration on the destination", {
            migration: row.id,
            error: describeError(err),
          });
          break;
        }
        task.dropConnection();
        await sleep(delay, task.stopSignal);
        delay = Math.min(delay * 2, options.retryMaxMs);
      }
    }
    await task.tx((tx) => tx.migrations.update(row, { targetToken: "" }));
  }
}
