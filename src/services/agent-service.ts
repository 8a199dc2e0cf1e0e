// AgentService: machine and unit agents talking to their controller
// (migration.md §6). Agents log in with their tag and password (the scrypt
// hash travels with the model) and get a token of kind "agent" bound to the
// model, good only for this service. While an agent watches its model's
// migration status it counts as connected (recorded in the store, so a worker
// on any node sees it): the migration worker waits for reports from the
// agents connected when a phase starts. Machine agents also watch the units
// of their machine and have the controller provision credentials for them;
// unit agents deliver their workload's reports, which are stored in
// sequence-number order exactly once.
import type { ServiceImpl } from "@connectrpc/connect";
import { AgentService } from "../../gen/ts/ferry/v1/agent_pb.js";
import { Life, MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import {
  hashAgentPassword,
  hashToken,
  newAgentPassword,
  newToken,
  verifyAgentPassword,
} from "../domain/credentials.js";
import { isPhase } from "../domain/phases.js";
import { phaseFromProto, phaseToProto } from "../migration/mapping.js";
import { parseAgentTag, type ChangeHub, type MigrationRow, type Repos, type Store } from "../store/index.js";
import { principalOf, type Principal } from "./context.js";
import { badField, notFound, permissionDenied, unauthenticated } from "./errors.js";
import { migratingError, redirectError } from "./model-access.js";
import { unitTag } from "./model-mapping.js";
import { ChangeWaiter } from "./model-service-streams.js";
import type { GroupCommit } from "./group-commit.js";
import { processLoad } from "../load.js";

/**
 * Which agents have an open WatchMigrationStatus stream, per model (kept in
 * the store by cluster/presence.ts, so every node of a controller sees them).
 */
export interface AgentPresence {
  /** Records `tag` connected on `modelUuid`; call the returned function when its stream ends. */
  connect(modelUuid: string, tag: string): Promise<() => Promise<void>>;
  /** The tags connected now (to any node), sorted. */
  connected(modelUuid: string): Promise<string[]>;
}

export interface AgentServiceDeps {
  store: Store;
  changes: ChangeHub;
  presence: AgentPresence;
  /** Shared transactions for the agents' small writes (status reports). */
  writes?: Pick<GroupCommit, "run">;
  tokenTtlMs: number;
  /** This controller as agents see it at login. */
  controller: { uuid: string; name: string; addresses: string[] };
  now?: () => number;
}

/** Phases from which agents are told where the destination is. */
const TARGET_PHASES = new Set(["VALIDATION", "SUCCESS", "LOGTRANSFER", "REAP", "DONE", "REAPFAILED"]);

/** Workload reports per call, at most. */
const MAX_REPORTS = 1000;
/** Reports arriving within this long are stored in one transaction. */
const REPORT_BATCH_MS = 20;
/**
 * ReportWorkload calls a second the controller takes before it asks agents to
 * deliver less often (every report is still made at its interval and stored;
 * a thousand units each sending every second would saturate the event loop).
 */
const REPORT_CALLS_PER_S = 200;

/** How often the call rate is sampled. */
const RATE_WINDOW_MS = 2000;

type Ctx = Parameters<ServiceImpl<typeof AgentService>["reportStatus"]>[1];
type AgentPrincipal = Principal & { modelUuid: string };

function agentOf(ctx: Ctx): AgentPrincipal {
  const p = principalOf(ctx);
  if (p.kind !== "agent" || !p.modelUuid) throw permissionDenied("this call needs an agent login", "TOKEN_SCOPE");
  return p as AgentPrincipal;
}

/** The machine id of a machine agent; PERMISSION_DENIED for a unit agent. */
function machineOf(p: AgentPrincipal): string {
  const e = parseAgentTag(p.user);
  if (e?.kind !== "machine") throw permissionDenied("this call is for machine agents", "TOKEN_SCOPE");
  return e.id;
}

function statusUpdate(row: MigrationRow | undefined) {
  if (!row) return { migrationId: "", phase: MigrationPhase.UNSPECIFIED, targetAddresses: [], targetCaCert: "" };
  const withTarget = TARGET_PHASES.has(row.phase);
  return {
    migrationId: row.id,
    phase: phaseToProto(row.phase),
    targetAddresses: withTarget ? (JSON.parse(row.targetAddresses) as string[]) : [],
    targetCaCert: withTarget ? row.targetCaCert : "",
    targetControllerUuid: withTarget ? row.targetControllerUuid : "",
    targetControllerName: withTarget ? row.targetControllerName : "",
  };
}

const LIFE: Record<string, Life> = { alive: Life.ALIVE, dying: Life.DYING, dead: Life.DEAD };

interface PendingReport {
  modelUuid: string;
  tag: string;
  unit: string;
  reports: { seq: number; counter: number; time: number }[];
  done: (r: { lastSeq: number } | { error: unknown }) => void;
}

/**
 * Stores workload reports a batch at a time: a thousand agents reporting
 * every second would otherwise be a thousand write transactions a second.
 * Each caller still hears only about its own reports.
 */
class ReportBatcher {
  private queue: PendingReport[] = [];
  private timer: NodeJS.Timeout | undefined;
  private calls = 0;
  private windowStart = Date.now();
  /** ReportWorkload calls a second over the last window. */
  private rate = 0;
  /** How many times slower than their interval callers are asked to deliver (1: as they come). */
  private slowdown = 1;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /**
   * The back-pressure hint for the next call: steers the call rate to 80% of
   * the limit (multiplicatively, once per window, so it settles instead of
   * swinging between "everybody now" and "everybody later").
   */
  sendAfterMs(intervalMs: number): number {
    const now = Date.now();
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.rate = (this.calls * 1000) / (now - this.windowStart);
      this.calls = 0;
      this.windowStart = now;
      this.slowdown = Math.min(10, Math.max(1, (this.slowdown * this.rate) / (0.8 * REPORT_CALLS_PER_S)));
    }
    this.calls++;
    return this.slowdown > 1.05 ? Math.round(intervalMs * this.slowdown) : 0;
  }

  add(r: Omit<PendingReport, "done">): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...r, done: (x) => ("error" in x ? reject(x.error) : resolve(x.lastSeq)) });
      this.timer ??= setTimeout(() => void this.flush(), REPORT_BATCH_MS);
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const results = new Map<PendingReport, { lastSeq: number } | { error: unknown }>();
    try {
      await this.store.write(async (tx) => {
        results.clear();
        const byModel = new Map<string, PendingReport[]>();
        for (const p of batch) byModel.set(p.modelUuid, [...(byModel.get(p.modelUuid) ?? []), p]);
        for (const [modelUuid, items] of byModel) await this.model(tx, modelUuid, items, results);
      });
    } catch (error) {
      for (const p of batch) p.done({ error });
      return;
    }
    for (const p of batch) p.done(results.get(p) ?? { error: new Error("report not stored") });
  }

  private async model(
    tx: Repos,
    modelUuid: string,
    items: PendingReport[],
    results: Map<PendingReport, { lastSeq: number } | { error: unknown }>,
  ): Promise<void> {
    await tx.lockModel(modelUuid);
    const model = await tx.models.byUuid(modelUuid);
    let refusal: ConnectError | undefined;
    if (!model) refusal = notFound("model", "MODEL_NOT_FOUND");
    // Frozen for a migration: the agent keeps its reports and sends them again
    // (to the destination, once the model lives there).
    else if (model.migrationMode !== "none") refusal = await migratingError(tx, model);
    if (refusal) {
      for (const p of items) results.set(p, { error: refusal });
      return;
    }
    for (const p of items) {
      const last = await tx.agents.recordWorkload(modelUuid, p.unit, p.reports);
      results.set(
        p,
        last === undefined ? { error: notFound(`unit "${p.unit}"`, "UNIT_NOT_FOUND") } : { lastSeq: last },
      );
    }
    await tx.agents.seen(
      modelUuid,
      items.map((p) => p.tag),
      this.now(),
    );
  }
}

export function createAgentService(deps: AgentServiceDeps): Partial<ServiceImpl<typeof AgentService>> {
  const { store } = deps;
  const now = () => (deps.now ?? Date.now)();
  const reports = new ReportBatcher(store, now);
  const writes = deps.writes ?? { run: (fn) => store.write(fn) };
  return {
    async agentLogin(req) {
      if (!req.modelUuid) throw badField("model_uuid", "required");
      if (!req.tag) throw badField("tag", "required");
      const tag = parseAgentTag(req.tag) ? req.tag : undefined;
      const { model, hash, redirect, workloadSeq } = await store.read(async (tx) => {
        const model = await tx.models.byUuid(req.modelUuid);
        const hash = model && tag ? await tx.agents.passwordHash(req.modelUuid, req.tag) : undefined;
        const redirect = model ? undefined : await tx.redirects.byUuid(req.modelUuid);
        const e = parseAgentTag(req.tag);
        const unit = model && e?.kind === "unit" ? await tx.units.find(req.modelUuid, e.name) : undefined;
        return { model, hash, redirect, workloadSeq: unit?.workloadSeq ?? 0 };
      });
      // The model moved: agents that missed SUCCESS learn where it went (the
      // model's entities and their hashes are gone from here).
      if (redirect && tag) throw redirectError(redirect);
      // Same work whether or not the agent exists or has a password.
      const ok = await verifyAgentPassword(req.password, hash ?? null);
      // Gone (destroyed, or the unit or machine removed): the agent stops for good.
      if (model === undefined && tag) throw notFound("model", "MODEL_NOT_FOUND");
      if (model && tag && hash === undefined) throw notFound(`agent "${req.tag}"`, "AGENT_NOT_FOUND");
      if (!ok || !model || !tag) throw unauthenticated("invalid agent credentials", "INVALID_CREDENTIALS");
      const token = newToken();
      const t = now();
      await store.write((tx) =>
        tx.tokens.insert({
          hash: hashToken(token),
          kind: "agent",
          user: req.tag,
          modelUuid: req.modelUuid,
          now: t,
          expiresAt: t + deps.tokenTtlMs,
        }),
      );
      return {
        token,
        controllerUuid: deps.controller.uuid,
        controllerName: deps.controller.name,
        addresses: deps.controller.addresses,
        workloadSeq: BigInt(workloadSeq),
      };
    },

    async reportStatus(req, ctx) {
      const p = agentOf(ctx);
      if (!req.status?.current) throw badField("status.current", "required");
      const status = { status: req.status.current, message: req.status.message };
      const workload = req.workloadStatus?.current
        ? { status: req.workloadStatus.current, message: req.workloadStatus.message }
        : undefined;
      const unit = parseAgentTag(p.user);
      if (workload && unit?.kind !== "unit") throw badField("workload_status", "only unit agents have a workload");
      await writes.run(async (tx) => {
        await tx.lockModel(p.modelUuid);
        const model = await tx.models.byUuid(p.modelUuid);
        if (!model) throw notFound("model", "MODEL_NOT_FOUND");
        // A migrating model is frozen: agents stop making changes in QUIESCE.
        if (model.migrationMode !== "none") throw await migratingError(tx, model);
        await tx.agents.setStatus(p.modelUuid, p.user, status, now());
        if (workload && unit?.kind === "unit")
          await tx.units.setStatus(p.modelUuid, unit.name, "workload", workload, now());
        await tx.agents.seen(p.modelUuid, [p.user], now());
        processLoad.models.record(model.uuid, `${model.owner}/${model.name}`, "report");
      });
      return {};
    },

    async reportWorkload(req, ctx) {
      const p = agentOf(ctx);
      const unit = parseAgentTag(p.user);
      if (unit?.kind !== "unit") throw permissionDenied("this call is for unit agents", "TOKEN_SCOPE");
      if (!req.reports.length) throw badField("reports", "at least one report");
      if (req.reports.length > MAX_REPORTS) throw badField("reports", `at most ${MAX_REPORTS} per call`);
      const list = req.reports.map((r) => ({
        seq: Number(r.seq),
        counter: Number(r.counter),
        time: r.time ? timestampMs(r.time) : now(),
      }));
      for (let i = 0; i < list.length; i++) {
        if (!(list[i]!.seq > 0) || (i > 0 && list[i]!.seq <= list[i - 1]!.seq))
          throw badField(`reports[${i}].seq`, "sequence numbers start at 1 and increase");
      }
      const lastSeq = await reports.add({ modelUuid: p.modelUuid, tag: p.user, unit: unit.name, reports: list });
      // The interval between this unit's reports, as the batch shows it (1 s when one).
      const span = list.length > 1 ? (list[list.length - 1]!.time - list[0]!.time) / (list.length - 1) : 1000;
      return { lastSeq: BigInt(lastSeq), sendAfterMs: reports.sendAfterMs(Math.max(100, Math.min(span, 10_000))) };
    },

    async *watchMigrationStatus(_req, ctx) {
      const p = agentOf(ctx);
      // A finished migration of a model that is here (it came back, A -> B -> A)
      // is history: agents are not sent away by it.
      const latest = () =>
        store.read(async (tx) => {
          const row = await tx.migrations.latest(p.modelUuid);
          if (!row || (row.phase !== "DONE" && row.phase !== "REAPFAILED")) return row;
          const model = await tx.models.byUuid(p.modelUuid);
          return model && model.migrationMode === "none" ? undefined : row;
        });
      if (!(await store.read((tx) => tx.models.byUuid(p.modelUuid)))) throw notFound("model", "MODEL_NOT_FOUND");
      // Subscribe before the first read, so no change between them is lost.
      const waiter = new ChangeWaiter(deps.changes, p.modelUuid, ["migration"], ctx.signal);
      const disconnect = await deps.presence.connect(p.modelUuid, p.user);
      try {
        let last = statusUpdate(await latest());
        yield last;
        let lastKey = `${last.migrationId}|${last.phase}`;
        for (;;) {
          const more = await waiter.next();
          if (ctx.signal.aborted) break;
          waiter.clear();
          last = statusUpdate(await latest());
          const key = `${last.migrationId}|${last.phase}`;
          if (key !== lastKey) {
            yield last;
            lastKey = key;
          }
          if (!more) break; // the model is gone (migrated away): the last phase was sent
        }
      } finally {
        waiter.close();
        await disconnect();
      }
    },

    async *watchMachineUnits(_req, ctx) {
      const p = agentOf(ctx);
      const machine = machineOf(p);
      // undefined: the model is gone; null: the machine is (removed).
      const read = () =>
        store.read(async (tx) => {
          if (!(await tx.models.byUuid(p.modelUuid))) return undefined;
          if (!(await tx.machines.find(p.modelUuid, machine))) return null;
          return tx.units.onMachine(p.modelUuid, machine);
        });
      const waiter = new ChangeWaiter(deps.changes, p.modelUuid, ["units"], ctx.signal);
      try {
        let lastKey = "";
        for (;;) {
          const units = await read();
          if (units === undefined) throw notFound("model", "MODEL_NOT_FOUND");
          // The agent logs in again, is told its machine is gone, and stops.
          if (units === null) throw notFound(`machine "${machine}"`, "MACHINE_NOT_FOUND");
          const key = units.map((u) => `${u.name}:${u.life}`).join(",");
          if (key !== lastKey) {
            lastKey = key;
            yield {
              units: units.map((u) => ({
                name: u.name,
                tag: unitTag(u.name),
                life: LIFE[u.life] ?? Life.UNSPECIFIED,
              })),
            };
          }
          if (!(await waiter.next())) break;
          waiter.clear();
        }
      } finally {
        waiter.close();
      }
    },

    async provisionUnit(req, ctx) {
      const p = agentOf(ctx);
      const machine = machineOf(p);
      if (!req.unit) throw badField("unit", "required");
      const password = newAgentPassword();
      const hash = await hashAgentPassword(password);
      await store.write(async (tx) => {
        await tx.lockModel(p.modelUuid);
        const model = await tx.models.byUuid(p.modelUuid);
        if (!model) throw notFound("model", "MODEL_NOT_FOUND");
        if (model.migrationMode !== "none") throw await migratingError(tx, model);
        const u = await tx.units.find(p.modelUuid, req.unit);
        // Only the units of the caller's own machine.
        if (!u || u.machineId !== machine)
          throw notFound(`unit "${req.unit.slice(0, 80)}" on machine ${machine}`, "UNIT_NOT_FOUND");
        await tx.units.setPasswordHash(p.modelUuid, u.name, hash);
        await tx.logs.append(p.modelUuid, {
          entity: `machine-${machine}`,
          level: "INFO",
          module: "ferry.deployer",
          message: `unit ${u.name} provisioned on machine ${machine}`,
          time: now(),
        });
      });
      return { tag: unitTag(req.unit), password };
    },

    async reportMigrationMinion(req, ctx) {
      const p = agentOf(ctx);
      const phase = phaseFromProto(req.phase);
      await store.write(async (tx) => {
        const row = req.migrationId ? await tx.migrations.get(req.migrationId) : undefined;
        if (!row || row.modelUuid !== p.modelUuid) throw notFound(`migration "${req.migrationId}"`);
        if (!phase || !isPhase(phase)) throw badField("phase", "unknown phase");
        await tx.migrations.recordMinionReport({
          migrationId: row.id,
          phase,
          tag: p.user,
          success: req.success,
          now: now(),
        });
      });
      return {};
    },
  };
}
