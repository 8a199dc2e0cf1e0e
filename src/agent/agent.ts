// One agent's connection to its controller (migration.md §6): machine and unit
// agents (./machine-agent.ts, ./unit-agent.ts) share it. The agent logs in
// with its tag and password, reports its status, watches its model's
// migration status and answers each phase: QUIESCE (it stops making changes)
// and VALIDATION (it proves it can log in to the destination with its own
// credentials, which travelled with the model) are reported back; in SUCCESS
// it reports, then switches its controller addresses and CA to the
// destination and logs in there. Lost connections are retried with jittered
// backoff; a source that says the model moved (a redirect, for agents that
// missed SUCCESS) is followed; a controller that says the model or the agent
// is gone ends the agent for good.
import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { WatchMigrationStatusResponse } from "../../gen/ts/ferry/v1/agent_pb.js";
import { baseUrl, clientsOver, pinnedTls, type FerryClients } from "../client/connect.js";
import { RedirectError } from "../client/errors.js";
import { backoffDelay, sleep } from "./backoff.js";

export type AgentPhase = "QUIESCE" | "VALIDATION" | "SUCCESS";

/** Where an agent's controller is: what an agent config records, and what a switch changes. */
export interface ControllerLocation {
  controllerUuid: string;
  controllerName: string;
  addresses: string[];
  caPem: string;
}

export interface AgentOptions {
  modelUuid: string;
  /** "machine-<id>" or "unit-<application>-<number>". */
  tag: string;
  password: string;
  /** The controller the agent starts on (`address` for one address). */
  address?: string;
  addresses?: string[];
  caPem: string;
  controllerUuid?: string;
  controllerName?: string;
  /** Smallest pause before reconnecting (default 250 ms). */
  retryMs?: number;
  /** Largest pause before reconnecting (default 5 s). */
  maxRetryMs?: number;
  /** Test knob: report this phase as failed. */
  failPhase?: AgentPhase;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Called after a switch to another controller, before logging in there (persist it). */
  onSwitch?: (to: ControllerLocation) => Promise<void>;
  /** Called once the controller says the agent is gone (model destroyed, entity removed). */
  onRemoved?: (why: string) => void;
}

export interface AgentReport {
  migrationId: string;
  phase: AgentPhase;
  success: boolean;
  /** The controller reported to. */
  address: string;
}

/** How a session ended. */
type SessionEnd = "switched" | "ended" | "removed";

/** Unary deadline of agent calls. */
const CALL_TIMEOUT_MS = 10_000;
/** Deadline of a login (a slow hash on a controller that may have a thousand to do). */
const LOGIN_TIMEOUT_MS = 30_000;
/** How long VALIDATION keeps trying a busy destination. */
const TARGET_LOGIN_PATIENCE_MS = 120_000;

type LoginOk = {
  kind: "ok";
  sm: Http2SessionManager;
  address: string;
  token: string;
  uuid: string;
  name: string;
  all: string[];
  workloadSeq: number;
};

const locationKey = (addresses: string[], caPem: string) => JSON.stringify([[...addresses].sort(), caPem]);

export class Agent {
  /** The controller address the agent talks to now (or last did). */
  address: string;
  addresses: string[];
  caPem: string;
  controllerUuid: string;
  controllerName: string;
  /** Whether its migration watch is open (a first update arrived). */
  connected = false;
  /** When the current connection's first update arrived. */
  connectedAt = 0;
  /** Set once the controller said this agent is gone. */
  removed = false;
  /** The last migration status seen. */
  last: WatchMigrationStatusResponse | undefined;
  readonly reports: AgentReport[] = [];
  /** Connections made (1 for an agent that never lost its controller). */
  sessions = 0;
  /** Unit agents: the last workload sequence number the controller held at this connection's login. */
  protected loginWorkloadSeq = 0;
  protected readonly stopCtl = new AbortController();
  private running: Promise<void> | undefined;
  private onConnected: (() => void)[] = [];
  /**
   * The destination's login from VALIDATION (its connection and token),
   * kept for the switch: the agent then needs no second login there (a
   * thousand agents logging in twice is a thousand more slow hashes).
   */
  private prepared: (LoginOk & { key: string }) | undefined;

  constructor(protected readonly opts: AgentOptions) {
    this.addresses = opts.addresses?.length ? [...opts.addresses] : opts.address ? [opts.address] : [];
    this.address = this.addresses[0] ?? "";
    this.caPem = opts.caPem;
    this.controllerUuid = opts.controllerUuid ?? "";
    this.controllerName = opts.controllerName ?? "";
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
    this.dropPrepared();
  }

  /** Resolves once the agent is connected (its migration watch open). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.onConnected.push(resolve));
  }

  protected log(msg: string, fields: Record<string, unknown> = {}): void {
    this.opts.log?.(msg, { agent: this.opts.tag, ...fields });
  }

  /** The status to report on each connection. */
  protected connectStatus(_address: string): {
    status: { current: string; message: string };
    workloadStatus?: { current: string; message: string };
  } {
    // The address is in the agent's connection (show-machine), not in its
    // status: a status that changed with every controller would be noise.
    const current = this.opts.tag.startsWith("machine-") ? "started" : "idle";
    return { status: { current, message: "" } };
  }

  /**
   * Work of the subclass for the length of one connection (a machine agent's
   * deployer, a unit agent's report sender). Rejecting ends the connection.
   */
  protected async duringSession(_c: FerryClients, _signal: AbortSignal): Promise<void> {}

  /**
   * When this session's status report may wait for the session's work: a
   * promise that settles once the work got going, or undefined for the
   * status first (a deployer whose machine must be "started" first, an
   * install that must not be overtaken by its own "executing").
   */
  protected workFirst(): Promise<void> | undefined {
    return undefined;
  }

  /** Called on every update of the migration watch (a phase changed). */
  protected onMigrationStatus(): void {}

  /** Called when the agent is gone for good. */
  protected onRemovedHook(why: string): void {
    this.opts.onRemoved?.(why);
  }

  private async run(): Promise<void> {
    const signal = this.stopCtl.signal;
    let failures = 0;
    while (!signal.aborted && !this.removed) {
      let end: SessionEnd | undefined;
      try {
        end = await this.session(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.log("agent: connection lost", { address: this.address, error: String(err) });
      }
      const wasConnected = this.connected;
      this.connected = false;
      if (end === "removed") break;
      if (end === "switched") {
        failures = 0;
        continue;
      }
      // A connection that got going resets the backoff: a controller restart
      // costs one short pause, a controller that stays away ever longer ones.
      failures = wasConnected ? 0 : failures + 1;
      await sleep(backoffDelay(failures, this.opts.retryMs ?? 250, this.opts.maxRetryMs ?? 5000), signal);
    }
  }

  private async switchTo(to: ControllerLocation, why: string): Promise<void> {
    this.log("agent: switching to the destination controller", { from: this.address, to: to.addresses, why });
    this.addresses = [...to.addresses];
    this.address = to.addresses[0] ?? this.address;
    this.caPem = to.caPem;
    this.controllerUuid = to.controllerUuid;
    this.controllerName = to.controllerName;
    await this.opts.onSwitch?.(to);
  }

  /** Logs in at one of the addresses; a session manager (one HTTP/2 connection) for the one that answered. */
  private async login(
    addresses: string[],
    caPem: string,
  ): Promise<LoginOk | { kind: "redirect"; to: ControllerLocation } | { kind: "gone"; why: string }> {
    let lastErr: unknown;
    for (const address of addresses) {
      const sm = new Http2SessionManager(baseUrl(address), { pingIntervalMs: 15_000 }, pinnedTls(caPem));
      try {
        const anon = clientsOver(sm, address, { unaryTimeoutMs: LOGIN_TIMEOUT_MS });
        const res = await anon.agent.agentLogin({
          modelUuid: this.opts.modelUuid,
          tag: this.opts.tag,
          password: this.opts.password,
        });
        return {
          kind: "ok",
          sm,
          address,
          token: res.token,
          uuid: res.controllerUuid,
          name: res.controllerName,
          all: res.addresses,
          workloadSeq: Number(res.workloadSeq),
        };
      } catch (err) {
        sm.abort();
        if (err instanceof RedirectError) {
          const r = err.redirect;
          return {
            kind: "redirect",
            to: {
              controllerUuid: r.controllerUuid,
              controllerName: r.controllerName,
              addresses: r.addresses,
              caPem: r.caCert,
            },
          };
        }
        if (err instanceof ConnectError && err.code === Code.NotFound) return { kind: "gone", why: err.rawMessage };
        lastErr = err;
      }
    }
    throw lastErr ?? new Error("no controller address");
  }

  /** One connection to the current controller. */
  private async session(signal: AbortSignal): Promise<SessionEnd> {
    // Start at the address that worked last, then the others.
    const order = [this.address, ...this.addresses.filter((a) => a !== this.address)].filter(Boolean);
    const ready = this.prepared?.key === locationKey(this.addresses, this.caPem) ? this.prepared : undefined;
    this.dropPrepared(ready);
    const login = ready ?? (await this.login(order, this.caPem));
    if (login.kind === "redirect") {
      await this.switchTo(login.to, "the source controller says the model moved");
      return "switched";
    }
    if (login.kind === "gone") {
      this.log("agent: removed by the controller; stopping", { why: login.why });
      this.removed = true;
      this.onRemovedHook(login.why);
      return "removed";
    }
    const { sm, address } = login;
    const before = JSON.stringify([this.controllerUuid, this.controllerName, [...this.addresses].sort()]);
    this.address = address;
    if (login.all.length) this.addresses = [address, ...login.all.filter((a) => a !== address)];
    this.controllerUuid = login.uuid || this.controllerUuid;
    this.controllerName = login.name || this.controllerName;
    // Learnt at login (the destination's UUID and name after a switch, or
    // nodes added to the controller): recorded like a switch.
    if (JSON.stringify([this.controllerUuid, this.controllerName, [...this.addresses].sort()]) !== before)
      await this.opts.onSwitch?.({
        controllerUuid: this.controllerUuid,
        controllerName: this.controllerName,
        addresses: this.addresses,
        caPem: this.caPem,
      });
    this.sessions++;
    this.loginWorkloadSeq = login.workloadSeq;
    const c = clientsOver(sm, address, { token: login.token, unaryTimeoutMs: CALL_TIMEOUT_MS });
    const sessionCtl = new AbortController();
    const stopSession = () => sessionCtl.abort();
    signal.addEventListener("abort", stopSession);
    let sideFailure: unknown;
    let side: Promise<void> | undefined;
    try {
      // Refused while the model is migrating (it is frozen): not a reason to stop.
      const sendStatus = () =>
        sessionCtl.signal.aborted
          ? undefined
          : c.agent.reportStatus(this.connectStatus(address)).then(
              () => undefined,
              (err: unknown) => {
                if (!sessionCtl.signal.aborted) this.log("agent: status not reported", { error: String(err) });
              },
            );
      const handled = new Set<string>();
      const work = () =>
        this.duringSession(c, sessionCtl.signal).catch((err: unknown) => {
          if (sessionCtl.signal.aborted) return;
          sideFailure = err;
          sessionCtl.abort();
        });
      // The subclass's work starts with the connection, not with the watch's
      // first update. Where it does not depend on the status report it goes
      // first: after a switch a unit's queued reports are what matters, and a
      // hundred agents' status reports arriving with them at the destination
      // would make them wait.
      const first = this.workFirst();
      if (first) {
        side = work();
        void first.then(sendStatus);
      } else {
        side = Promise.resolve(sendStatus()).then(work);
      }
      for await (const u of c.agent.watchMigrationStatus({}, { signal: sessionCtl.signal })) {
        if (!this.connected) {
          this.connected = true;
          this.connectedAt = Date.now();
          for (const f of this.onConnected.splice(0)) f();
        }
        this.last = u;
        this.onMigrationStatus();
        // Rolled back: the destination's login kept from VALIDATION is of no use.
        if (u.phase === MigrationPhase.ABORT || u.phase === MigrationPhase.ABORTDONE) this.dropPrepared();
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
          // The switch waits for the source to take the SUCCESS report: that
          // paces a thousand agents arriving at the destination (all at once,
          // their first calls there ran past their deadlines).
          if (phase === "SUCCESS") await this.report(c, u.migrationId, "SUCCESS", true);
          if (!u.targetAddresses.length || !u.targetCaCert) continue;
          await this.switchTo(
            {
              controllerUuid: u.targetControllerUuid,
              controllerName: u.targetControllerName,
              addresses: u.targetAddresses,
              caPem: u.targetCaCert,
            },
            `migration ${u.migrationId} succeeded`,
          );
          return "switched";
        }
      }
      if (sideFailure) throw sideFailure;
      // The stream ended: the model is gone from this controller (reaped
      // after a migration, or destroyed). Logging in again says which.
      return "ended";
    } catch (err) {
      if (sideFailure && !signal.aborted) throw sideFailure;
      throw err;
    } finally {
      signal.removeEventListener("abort", stopSession);
      sessionCtl.abort();
      await side;
      sm.abort();
    }
  }

  private async report(c: FerryClients, migrationId: string, phase: AgentPhase, ok: boolean): Promise<void> {
    const success = ok && this.opts.failPhase !== phase;
    // The controller it went to (a SUCCESS report is answered after the switch).
    const address = this.address;
    await c.agent.reportMigrationMinion({ migrationId, phase: MigrationPhase[phase], success });
    this.reports.push({ migrationId, phase, success, address });
    this.log("agent: reported", { migration: migrationId, phase, success });
  }

  /** Forgets the destination's login kept from VALIDATION (closing its connection unless it is `keep`). */
  private dropPrepared(keep?: LoginOk): void {
    if (this.prepared && this.prepared !== keep) this.prepared.sm.abort();
    this.prepared = undefined;
  }

  /**
   * VALIDATION: log in to the destination with our own credentials (kept for
   * the switch). A busy destination (a thousand agents logging in at once:
   * a slow hash each) is tried again for a while; only an answer (refused,
   * unknown) or giving up fails the report.
   */
  private async canReachTarget(u: WatchMigrationStatusResponse): Promise<boolean> {
    const until = Date.now() + TARGET_LOGIN_PATIENCE_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.login(u.targetAddresses, u.targetCaCert);
        if (r.kind === "ok") {
          this.dropPrepared();
          this.prepared = { ...r, key: locationKey(u.targetAddresses, u.targetCaCert) };
          return true;
        }
        this.log("agent: the destination controller does not know this agent", { result: r.kind });
        return false;
      } catch (err) {
        const definitive =
          err instanceof ConnectError && (err.code === Code.Unauthenticated || err.code === Code.PermissionDenied);
        if (definitive || Date.now() >= until || this.stopCtl.signal.aborted) {
          this.log("agent: cannot log in to the destination controller", { error: String(err) });
          return false;
        }
        await sleep(backoffDelay(attempt, 250, 3000), this.stopCtl.signal);
      }
    }
  }
}

/** The agent of the earlier releases' tests: an Agent with nothing more to do. */
export { Agent as SimulatedAgent };
