// Simulated provisioning: what a cloud and the machine/unit agents would do
// after a user adds machines or units. Each step moves every entity of a model
// one stage along, in one transaction, so a status watcher sees the same
// stages the reference shows:
//   machine: pending -> started (instance running, with id and address)
//   unit:    allocating/waiting -> executing/maintenance -> idle/active
//   unit being removed: removed (and a new leader elected)
//   application or machine being removed: removed once no unit is left on it
//   relation: joining -> joined once its applications' units are idle
// Steps repeat (after `delayMs`) while they change something. State lives only
// in the store, so after a restart resume() picks up whatever was left.
import { DEFAULT_LEASE_TTL_MS, type LeaseAccess } from "../cluster/cluster.js";
import { LeaseLost, type Fence, type Repos, type Store } from "../store/index.js";
import { fakeAddress, Messages, modelShort } from "../domain/status.js";

export interface LogSink {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Simulator {
  /** Makes the model's pending entities progress, starting after the delay. */
  schedule(modelUuid: string): void;
  /**
   * Schedules every model that may have unfinished work and that no other
   * node looks after (controller start, and every lease period after: the
   * work of a node that died is picked up here).
   */
  resume(): Promise<void>;
  /** Cancels all scheduled steps; nothing more is written afterwards. */
  stop(): void;
}

export interface SimulatorOptions {
  store: Store;
  /**
   * Live agents (--agents process): machines get an agent process once their
   * instance runs, and machine and unit agent statuses come from the agents'
   * own reports instead of being simulated here.
   */
  agents?: {
    provision(modelUuid: string, fence: Fence | undefined): Promise<void>;
  };
  /**
   * An agent that is not connected and was not heard from for this long is
   * shown down (machines) or lost (units) until it is back (default 10 s).
   */
  agentTimeoutMs?: number;
  /**
   * A model's simulated agents run on one node of the controller at a time:
   * the holder of the lease "model:<uuid>" (every step is fenced by it).
   */
  leases: LeaseAccess;
  /** Time between stages (default 300 ms; tests use 0-10 ms). */
  delayMs?: number;
  /** How often to look for models nobody looks after (default: the lease time). */
  rescanMs?: number;
  log?: LogSink;
  now?: () => number;
}

export const DEFAULT_SIMULATOR_DELAY_MS = 300;
export const DEFAULT_AGENT_TIMEOUT_MS = 10_000;

/** What status shows for an agent that stopped talking (the reference's words). */
export const AGENT_SILENT_MESSAGE = "agent is not communicating with the server";

/** Marks the silent agents of the models this node looks after down (machines) or lost (units). */
async function sweepSilentAgents(store: Store, leases: LeaseAccess, now: number, timeoutMs: number): Promise<void> {
  const models = await store.read((tx) => tx.agents.linkedModels());
  for (const modelUuid of models) {
    if (!leases.holds(leaseName(modelUuid))) continue;
    const fence = await leases.acquire(leaseName(modelUuid));
    if (!fence) continue;
    await store.write(
      async (tx) => {
        await tx.lockModel(modelUuid);
        const model = await tx.models.byUuid(modelUuid);
        // A frozen model is left as it is (its agents are reporting to the migration, or switching).
        if (!model || model.migrationMode !== "none") return;
        const clock = await tx.nodes.clock();
        const silent = await tx.agents.silent(modelUuid, now - timeoutMs, clock - DEFAULT_LEASE_TTL_MS);
        for (const id of silent.machines) {
          await tx.machines.setStatus(modelUuid, id, "agent", { status: "down", message: AGENT_SILENT_MESSAGE }, now);
          await tx.logs.append(modelUuid, {
            entity: `machine-${id}`,
            level: "WARNING",
            module: "ferry.presence",
            message: `machine ${id} agent is down: not heard from for ${Math.round(timeoutMs / 1000)}s`,
            time: now,
          });
        }
        for (const name of silent.units) {
          await tx.units.setStatus(modelUuid, name, "agent", { status: "lost", message: AGENT_SILENT_MESSAGE }, now);
          await tx.logs.append(modelUuid, {
            entity: `unit-${name.replace("/", "-")}`,
            level: "WARNING",
            module: "ferry.presence",
            message: `unit ${name} agent is lost: not heard from for ${Math.round(timeoutMs / 1000)}s`,
            time: now,
          });
        }
      },
      { fence },
    );
  }
}

const leaseName = (modelUuid: string) => `model:${modelUuid}`;

export function createSimulator(opts: SimulatorOptions): Simulator {
  const delay = opts.delayMs ?? DEFAULT_SIMULATOR_DELAY_MS;
  const now = opts.now ?? Date.now;
  const { leases } = opts;
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  /** Models whose step is running now, and those asked for again meanwhile. */
  const running = new Set<string>();
  const again = new Set<string>();
  /** Models whose lease is being asked for. */
  const acquiring = new Set<string>();

  function schedule(modelUuid: string): void {
    if (stopped) return;
    if (!leases.holds(leaseName(modelUuid))) {
      // Take the model's lease first; if another node has it, that node does the work
      // (it hears of the change through the store).
      if (acquiring.has(modelUuid)) return;
      acquiring.add(modelUuid);
      leases
        .acquire(leaseName(modelUuid))
        .then((fence) => {
          acquiring.delete(modelUuid);
          if (fence) schedule(modelUuid);
        })
        .catch((err: unknown) => {
          acquiring.delete(modelUuid);
          if (!stopped) opts.log?.warn("simulator: cannot take a model's lease", { modelUuid, error: String(err) });
        });
      return;
    }
    // A change while the model's step runs may not be in what it read: go again after it.
    if (running.has(modelUuid)) {
      again.add(modelUuid);
      return;
    }
    // One pending step per model: a burst of changes is handled by one step.
    if (timers.has(modelUuid)) return;
    const t = setTimeout(() => {
      timers.delete(modelUuid);
      if (stopped) return;
      running.add(modelUuid);
      void (async () => {
        let changed = false;
        try {
          const fence = await leases.acquire(leaseName(modelUuid));
          if (fence) {
            changed = await opts.store.write((tx) => step(tx, modelUuid, now(), { liveAgents: !!opts.agents }), {
              fence,
            });
            if (opts.agents) await opts.agents.provision(modelUuid, fence);
          }
        } catch (err) {
          // A lost lease (another node has the model now), or the store closed
          // under us during shutdown: stop here; the holder, or resume() at
          // the next start, finishes the work.
          if (err instanceof LeaseLost) await leases.release(leaseName(modelUuid));
          else if (!stopped) opts.log?.warn("simulator step failed", { modelUuid, error: String(err) });
        } finally {
          running.delete(modelUuid);
        }
        const more = again.delete(modelUuid);
        if (changed || more) schedule(modelUuid);
      })();
    }, delay);
    // Scheduled steps must not keep a process alive that is otherwise done.
    t.unref();
    timers.set(modelUuid, t);
  }

  async function resume(): Promise<void> {
    if (stopped) return;
    let uuids: string[] = [];
    try {
      uuids = await opts.store.read(async (tx) => tx.models.activeUnleased(leases.holder, await tx.nodes.clock()));
    } catch (err) {
      if (!stopped) opts.log?.error("simulator resume failed", { error: String(err) });
    }
    for (const uuid of uuids) schedule(uuid);
  }

  // Changes made on any node (another node's deploy, or this one's) wake the model's holder.
  const unsubscribe = opts.store.changes.subscribeAll((c) => {
    if (c.modelUuid === "*") void resume();
    else if (c.kinds.some((k) => k === "status" || k === "config") && leases.holds(leaseName(c.modelUuid))) {
      schedule(c.modelUuid);
    }
  });
  const rescan = setInterval(() => void resume(), opts.rescanMs ?? DEFAULT_LEASE_TTL_MS);
  rescan.unref();

  // Agents that went silent are shown down/lost by the node looking after
  // their model (not before this node has been up for the timeout: agents
  // reconnecting after a controller restart are not lost).
  const agentTimeout = opts.agentTimeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS;
  const startedAt = now();
  let sweeping = false;
  const sweep = setInterval(
    () => {
      if (sweeping || stopped || now() - startedAt < agentTimeout) return;
      sweeping = true;
      void sweepSilentAgents(opts.store, leases, now(), agentTimeout)
        .catch((err: unknown) => {
          if (!stopped) opts.log?.warn("simulator: agent sweep failed", { error: String(err) });
        })
        .finally(() => (sweeping = false));
    },
    Math.max(200, Math.min(1000, agentTimeout / 4)),
  );
  sweep.unref();

  return {
    schedule,
    resume,
    stop() {
      stopped = true;
      unsubscribe();
      clearInterval(rescan);
      clearInterval(sweep);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

/** One simulation step for a model; returns whether anything changed. */
export async function step(
  tx: Repos,
  modelUuid: string,
  now: number,
  opts: { liveAgents?: boolean } = {},
): Promise<boolean> {
  const live = opts.liveAgents === true;
  await tx.lockModel(modelUuid);
  const model = await tx.models.byUuid(modelUuid);
  // Deleted meanwhile, dying, or frozen by a migration (agents stop making
  // changes in QUIESCE; an importing model is not live yet): nothing to do.
  if (!model || model.life !== "alive" || model.migrationMode !== "none") return false;
  const machines = await tx.machines.list(modelUuid);
  const units = await tx.units.list(modelUuid);
  const relations = await tx.relations.list(modelUuid);
  // Decisions use the state as it was before this step, so each entity moves
  // at most one stage per step and dependants follow one step later.
  const startedMachines = new Set(machines.filter((m) => m.agentStatus === "started").map((m) => m.id));
  const unsettledApps = new Set<string>();
  for (const u of units) {
    if (u.life === "alive" && !(u.agentStatus === "idle" && u.workloadStatus === "active"))
      unsettledApps.add(u.application);
  }
  let changed = false;
  const short = modelShort(modelUuid);

  for (const m of machines) {
    if (m.life !== "alive" || m.agentStatus !== "pending" || m.instanceStatus !== "pending") continue;
    const address = fakeAddress(modelUuid, m.seq);
    const instanceId = `inst-${short}-${m.id}`;
    await tx.machines.setInstance(modelUuid, m.id, {
      instanceId,
      dnsName: address,
      addresses: [address],
      hostname: `ferry-${short}-${m.id}`,
    });
    await tx.machines.setStatus(modelUuid, m.id, "instance", { status: "running" }, now);
    // With live agents, "started" is the machine agent's own report.
    if (!live) await tx.machines.setStatus(modelUuid, m.id, "agent", { status: "started" }, now);
    await tx.logs.append(modelUuid, {
      entity: `machine-${m.id}`,
      level: "INFO",
      module: "ferry.provisioner",
      message: `machine ${m.id} started (instance ${instanceId}, address ${address})`,
      time: now,
    });
    changed = true;
  }

  const leaderless = new Set<string>();
  for (const u of units) {
    const tag = `unit-${u.application}-${u.number}`;
    const log = (message: string) =>
      tx.logs.append(modelUuid, { entity: tag, level: "INFO", module: "ferry.uniter", message, time: now });
    if (u.life !== "alive") {
      await tx.units.delete(modelUuid, u.name);
      await tx.status.append(modelUuid, tag, "workload", "terminated", "", now);
      await log(`unit ${u.name} stopped and removed`);
      leaderless.add(u.application);
      changed = true;
    } else if (live) {
      // The unit agent installs the charm and reports its own status.
      continue;
    } else if (u.agentStatus === "allocating" && startedMachines.has(u.machineId)) {
      await tx.units.setStatus(
        modelUuid,
        u.name,
        "agent",
        { status: "executing", message: "running install hook" },
        now,
      );
      await tx.units.setStatus(
        modelUuid,
        u.name,
        "workload",
        { status: "maintenance", message: Messages.installing },
        now,
      );
      await log(`unit ${u.name} installing charm on machine ${u.machineId}`);
      changed = true;
    } else if (u.agentStatus === "executing" && u.workloadMessage === Messages.installing) {
      await tx.units.setStatus(modelUuid, u.name, "agent", { status: "idle" }, now);
      await tx.units.setStatus(modelUuid, u.name, "workload", { status: "active" }, now);
      await log(`unit ${u.name} is active${u.leader ? " (leader)" : ""}`);
      changed = true;
    }
  }
  for (const app of leaderless) {
    const leader = await tx.units.electLeader(modelUuid, app);
    if (leader) {
      await tx.logs.append(modelUuid, {
        entity: `application-${app}`,
        level: "INFO",
        module: "ferry.leadership",
        message: `unit ${leader} is now leader of ${app}`,
        time: now,
      });
    }
  }

  // What is being removed goes once nothing is left on it: an application
  // after its last unit, a machine after the last unit it hosted (its agent
  // then learns it is gone and stops).
  const aliveUnits = units.filter((u) => u.life === "alive");
  for (const a of await tx.applications.list(modelUuid)) {
    if (a.life === "alive" || aliveUnits.some((u) => u.application === a.name)) continue;
    await tx.applications.delete(modelUuid, a.name, now);
    changed = true;
  }
  for (const m of machines) {
    if (m.life === "alive" || aliveUnits.some((u) => u.machineId === m.id)) continue;
    await tx.machines.delete(modelUuid, m.id);
    await tx.status.append(modelUuid, `machine-${m.id}`, "instance", "stopped", "machine removed", now);
    await tx.logs.append(modelUuid, {
      entity: `machine-${m.id}`,
      level: "INFO",
      module: "ferry.provisioner",
      message: `machine ${m.id} stopped and removed`,
      time: now,
    });
    changed = true;
  }

  for (const r of relations) {
    if (r.status !== "joining") continue;
    // An application with no units has nobody to wait for.
    if (r.endpoints.some((e) => unsettledApps.has(e.application))) continue;
    await tx.relations.setStatus(modelUuid, r.id, { status: "joined" }, now);
    await tx.logs.append(modelUuid, {
      entity: "model",
      level: "INFO",
      module: "ferry.relations",
      message: `relation ${r.id} "${r.key}" joined`,
      time: now,
    });
    changed = true;
  }
  return changed;
}
