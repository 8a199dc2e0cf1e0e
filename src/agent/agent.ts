// A simulated machine or unit agent (migration.md §6): the protocol is real,
// the workload is not. It logs in to its controller with its tag and
// password, reports its status, watches its model's migration status and
// answers each phase: QUIESCE (it stops making changes) and VALIDATION (it
// proves it can log in to the destination with its own credentials, which
// travelled with the model) are reported back; in SUCCESS it reports, then
// switches its controller address and CA to the destination and reconnects
// there. Lost connections are retried.
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { WatchMigrationStatusResponse } from "../../gen/ts/ferry/v1/agent_pb.js";
import { connect, type FerryClients } from "../client/connect.js";

export type AgentPhase = "QUIESCE" | "VALIDATION" | "SUCCESS";

export interface AgentOptions {
  modelUuid: string;
  /** "machine-<id>" or "unit-<application>-<number>". */
  tag: string;
  password: string;
  /** The controller the agent starts on. */
  address: string;
  caPem: string;
  /** Pause before reconnecting after a lost connection. */
  retryMs?: number;
  /** Test knob: report this phase as failed. */
  failPhase?: AgentPhase;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface AgentReport {
  migrationId: string;
  phase: AgentPhase;
  success: boolean;
  /** The controller reported to. */
  address: string;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

export class SimulatedAgent {
  /** The controller the agent talks to now (changes in SUCCESS). */
  address: string;
  caPem: string;
  /** Whether its migration watch is open (a first update arrived). */
  connected = false;
  /** The last migration status seen. */
  last: WatchMigrationStatusResponse | undefined;
  readonly reports: AgentReport[] = [];
  private readonly stopCtl = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.address = opts.address;
    this.caPem = opts.caPem;
  }

  get tag(): string {
    return this.opts.tag;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.running;
  }

  private log(msg: string, fields: Record<string, unknown> = {}): void {
    this.opts.log?.(msg, { agent: this.opts.tag, ...fields });
  }

  private async run(): Promise<void> {
    const signal = this.stopCtl.signal;
    while (!signal.aborted) {
      let switched = false;
      try {
        switched = await this.session(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.log("agent: connection lost", { address: this.address, error: String(err) });
      }
      this.connected = false;
      if (!switched) await sleep(this.opts.retryMs ?? 250, signal);
    }
  }

  private async login(address: string, caPem: string): Promise<string> {
    const anon = connect({ address, caPem, unaryTimeoutMs: 10_000 });
    try {
      const res = await anon.agent.agentLogin({
        modelUuid: this.opts.modelUuid,
        tag: this.opts.tag,
        password: this.opts.password,
      });
      return res.token;
    } finally {
      anon.close();
    }
  }

  /** One connection to the current controller; true when it ended by switching controllers. */
  private async session(signal: AbortSignal): Promise<boolean> {
    const address = this.address;
    const token = await this.login(address, this.caPem);
    const c = connect({ address, caPem: this.caPem, token, unaryTimeoutMs: 10_000 });
    try {
      const current = this.opts.tag.startsWith("machine-") ? "started" : "idle";
      // Refused while the model is migrating (it is frozen): not a reason to stop.
      await c.agent
        .reportStatus({ status: { current, message: `agent connected to ${address}` } })
        .catch((err: unknown) => this.log("agent: status not reported", { error: String(err) }));
      const handled = new Set<string>();
      for await (const u of c.agent.watchMigrationStatus({}, { signal })) {
        this.connected = true;
        this.last = u;
        if (!u.migrationId) continue;
        const phase = MigrationPhase[u.phase];
        const key = `${u.migrationId}|${phase}`;
        if (handled.has(key)) continue;
        handled.add(key);
        if (phase === "QUIESCE") {
          await this.report(c, u.migrationId, "QUIESCE", true);
        } else if (phase === "VALIDATION") {
          await this.report(c, u.migrationId, "VALIDATION", await this.canReachTarget(u));
        } else if (phase === "SUCCESS" || phase === "LOGTRANSFER" || phase === "REAP" || phase === "DONE") {
          if (phase === "SUCCESS") await this.report(c, u.migrationId, "SUCCESS", true);
          const target = u.targetAddresses[0];
          if (!target || !u.targetCaCert) continue;
          this.log("agent: switching to the destination controller", { from: address, to: target });
          this.address = target;
          this.caPem = u.targetCaCert;
          return true;
        }
      }
      return false;
    } finally {
      c.close();
    }
  }

  private async report(c: FerryClients, migrationId: string, phase: AgentPhase, ok: boolean): Promise<void> {
    const success = ok && this.opts.failPhase !== phase;
    await c.agent.reportMigrationMinion({ migrationId, phase: MigrationPhase[phase], success });
    this.reports.push({ migrationId, phase, success, address: this.address });
    this.log("agent: reported", { migration: migrationId, phase, success });
  }

  /** VALIDATION: log in to the destination with our own credentials. */
  private async canReachTarget(u: WatchMigrationStatusResponse): Promise<boolean> {
    for (const address of u.targetAddresses) {
      try {
        await this.login(address, u.targetCaCert);
        return true;
      } catch (err) {
        this.log("agent: cannot log in to the destination controller", { address, error: String(err) });
      }
    }
    return false;
  }
}
