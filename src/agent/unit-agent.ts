// A unit agent (it runs inside its machine's agent process, with its own
// credentials and connection) and the unit's workload: a loop that advances
// a counter at a fixed interval and reports it with a sequence number. The
// workload never waits for the controller: reports go into a bounded queue
// that a sender drains over whatever connection is up. A migrating model
// refuses them (it is frozen), so they wait in the queue and go to the
// destination after the switch; the controller stores each sequence number
// once, so a report sent twice (an answer lost with a connection) is not
// stored twice.
import type { FerryClients } from "../client/connect.js";
import { MigratingError } from "../client/errors.js";
import { Messages } from "../domain/status.js";
import { Agent, type AgentOptions } from "./agent.js";
import { backoffDelay, sleep } from "./backoff.js";
import { Code, ConnectError } from "@connectrpc/connect";

export interface WorkloadReportItem {
  seq: number;
  counter: number;
  time: number;
}

export interface UnitAgentOptions extends AgentOptions {
  /** The unit's name, "<application>/<n>". */
  unit: string;
  /** How often the workload reports (ms). */
  intervalMs: number;
  /** Whether the charm was installed before (the agent restarted). */
  installed: boolean;
  /** How long the install hook takes (ms). */
  installMs?: number;
  /** Called once the install hook ran (persist it). */
  onInstalled?: () => Promise<void>;
  /** Reports kept while no controller takes them (default 10,000); the oldest go first. */
  queueMax?: number;
}

/** Reports per ReportWorkload call. */
const SEND_BATCH = 500;

/** Answers of a controller too busy to answer in time: tried again on the same connection. */
const BUSY = new Set([Code.DeadlineExceeded, Code.ResourceExhausted, Code.Unavailable]);
const BUSY_RETRIES = 5;

export class UnitAgent extends Agent {
  /** Reports made, not yet accepted by a controller. */
  readonly queue: WorkloadReportItem[] = [];
  seq = 0;
  counter = 0;
  /** Reports dropped because the queue was full. */
  dropped = 0;
  /** The last report a controller accepted: its sequence number, when, and which controller. */
  lastAccepted: { seq: number; at: number; controller: string } | undefined;
  /** Each move of the reports from one controller to another (the gap a migration makes). */
  readonly moves: { from: string; to: string; lastAt: number; firstAt: number; gapMs: number }[] = [];
  private installed: boolean;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Woken by the next migration phase change. */
  private phaseChanged: (() => void) | undefined;
  /** Settles the session's wait for its first report to be answered (see workFirst). */
  private firstSent: (() => void) | undefined;
  /** Until a controller answered, our numbering may be behind its (this process is new). */
  private numberingChecked = false;

  constructor(private readonly u: UnitAgentOptions) {
    super(u);
    this.installed = u.installed;
  }

  override start(): void {
    super.start();
    this.timer ??= setInterval(() => this.tick(), this.u.intervalMs);
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    this.wake?.();
    await super.stop();
  }

  /** One step of the workload: it runs whatever happens to the connection. */
  private tick(): void {
    this.seq++;
    this.counter++;
    this.queue.push({ seq: this.seq, counter: this.counter, time: Date.now() });
    const max = this.u.queueMax ?? 10_000;
    if (this.queue.length > max) {
      this.dropped += this.queue.length - max;
      this.queue.splice(0, this.queue.length - max);
      if (this.dropped === 1 || this.dropped % 1000 === 0)
        this.log("agent: report queue full; dropping the oldest reports", { dropped: this.dropped });
    }
    this.wake?.();
  }

  protected override onMigrationStatus(): void {
    this.phaseChanged?.();
  }

  protected override connectStatus(_address: string) {
    if (!this.installed)
      return {
        status: { current: "executing", message: "running install hook" },
        workloadStatus: { current: "maintenance", message: Messages.installing },
      };
    return { status: { current: "idle", message: "" }, workloadStatus: { current: "active", message: "" } };
  }

  /**
   * The workload's reports go before the status (which says what it said
   * before the switch), once the first of them is answered or in 2 s; an
   * install needs its status first.
   */
  protected override workFirst(): Promise<void> | undefined {
    if (!this.installed) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.firstSent === done) this.firstSent = undefined;
        resolve();
      };
      const timer = setTimeout(done, 2000);
      this.firstSent = done;
    });
  }

  protected override async duringSession(c: FerryClients, signal: AbortSignal): Promise<void> {
    if (!this.numberingChecked) {
      this.numberingChecked = true;
      // A new process for a unit that reported before: continue the
      // controller's numbering instead of repeating numbers it holds.
      const held = this.loginWorkloadSeq;
      const first = this.queue[0]?.seq ?? this.seq + 1;
      if (held >= first) {
        this.queue.forEach((r, i) => (r.seq = held + 1 + i));
        this.seq = held + this.queue.length;
        this.counter = Math.max(this.counter, this.seq);
        this.log("agent: workload numbering continues the controller's", { from: held + 1 });
      }
    }
    if (!this.installed) {
      await sleep(this.u.installMs ?? 300, signal);
      if (signal.aborted) return;
      await c.agent.reportStatus({
        status: { current: "idle", message: "" },
        workloadStatus: { current: "active", message: "" },
      });
      this.installed = true;
      this.log("agent: charm installed", { unit: this.u.unit });
      await this.u.onInstalled?.();
    }
    await this.sendReports(c, signal);
  }

  /**
   * Waits until `arm`'s wake function is called, `ms` pass (0: no limit) or
   * the signal aborts; leaves no listener behind (a session waits thousands
   * of times).
   */
  private until(signal: AbortSignal, ms: number, arm: (wake: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = ms > 0 ? setTimeout(done, ms) : undefined;
      signal.addEventListener("abort", done);
      arm(done);
    });
  }

  /** Drains the queue to the controller for as long as the connection lasts. */
  private async sendReports(c: FerryClients, signal: AbortSignal): Promise<void> {
    let busy = 0;
    while (!signal.aborted) {
      if (!this.queue.length) {
        this.firstSent?.();
        await this.until(signal, 0, (wake) => (this.wake = wake));
        this.wake = undefined;
        continue;
      }
      const batch = this.queue.slice(0, SEND_BATCH);
      let lastSeq: number;
      let sendAfterMs = 0;
      try {
        const res = await c.agent.reportWorkload(
          {
            reports: batch.map((r) => ({
              seq: BigInt(r.seq),
              counter: BigInt(r.counter),
              time: { seconds: BigInt(Math.floor(r.time / 1000)), nanos: (r.time % 1000) * 1e6 },
            })),
          },
          { signal },
        );
        lastSeq = Number(res.lastSeq);
        sendAfterMs = res.sendAfterMs;
      } catch (err) {
        if (signal.aborted) return;
        this.firstSent?.();
        if (err instanceof MigratingError) {
          // Frozen for a migration: keep them; they go to whichever controller
          // has the model next. Try again when the migration's phase changes
          // (an abort unfreezes the model; a success switches controllers and
          // ends this connection), not before: a thousand agents knocking
          // on a frozen model would only load the controller migrating it.
          await this.until(signal, Math.max(err.retryDelayMs ?? 5000, 1000), (wake) => (this.phaseChanged = wake));
          this.phaseChanged = undefined;
          continue;
        }
        // A busy controller (a thousand agents arriving at once after a
        // switch) answers late: try again on this connection, after a
        // jittered pause, instead of dropping it and logging in again, which
        // costs the controller a slow hash. A connection that is really gone
        // ends the session through the watch.
        if (err instanceof ConnectError && BUSY.has(err.code) && busy < BUSY_RETRIES) {
          await this.until(signal, backoffDelay(busy++, 250, 5000), () => undefined);
          continue;
        }
        throw err;
      }
      busy = 0;
      this.firstSent?.();
      const at = Date.now();
      const controller = this.controllerUuid || this.address;
      const prev = this.lastAccepted;
      if (prev && prev.controller !== controller) {
        const move = { from: prev.controller, to: controller, lastAt: prev.at, firstAt: at, gapMs: at - prev.at };
        this.moves.push(move);
        this.log("agent: workload reports now accepted by another controller", { unit: this.u.unit, ...move });
      }
      this.lastAccepted = { seq: lastSeq, at, controller };
      while (this.queue.length && this.queue[0]!.seq <= lastSeq) this.queue.shift();
      // The controller asks for fewer calls: the workload goes on, its reports wait here meanwhile.
      if (sendAfterMs > 0) await this.until(signal, sendAfterMs, () => undefined);
    }
  }
}
