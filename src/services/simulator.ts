// Simulated provisioning: what a cloud and the machine/unit agents would do
// after a user adds machines or units. Each step moves every entity of a model
// one stage along, in one transaction, so a status watcher sees the same
// stages the reference shows:
//   machine: pending -> started (instance running, with id and address)
//   unit:    allocating/waiting -> executing/maintenance -> idle/active
//   unit being removed: removed (and a new leader elected)
//   relation: joining -> joined once its applications' units are idle
// Steps repeat (after `delayMs`) while they change something. State lives only
// in the store, so after a restart resume() picks up whatever was left.
import { findModelByUuid } from "../store/access-repo.js";
import { deleteUnit, electLeader, listUnits } from "../store/app-repo.js";
import type { Db, Store } from "../store/db.js";
import { appendLogEntry } from "../store/log-repo.js";
import { listMachines, setMachineInstance } from "../store/machine-repo.js";
import { listActiveModelUuids } from "../store/model-repo.js";
import { listRelations } from "../store/relation-repo.js";
import { appendStatusHistory, setMachineStatus, setRelationStatus, setUnitStatus } from "../store/status-repo.js";
import { fakeAddress, Messages, modelShort } from "../domain/status.js";
import type { ChangeHub } from "./changes.js";

export interface LogSink {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Simulator {
  /** Makes the model's pending entities progress, starting after the delay. */
  schedule(modelUuid: string): void;
  /** Schedules every model that may have unfinished work (controller start). */
  resume(): void;
  /** Cancels all scheduled steps; nothing more is written afterwards. */
  stop(): void;
}

export interface SimulatorOptions {
  store: Store;
  changes: ChangeHub;
  /** Time between stages (default 300 ms; tests use 0-10 ms). */
  delayMs?: number;
  log?: LogSink;
  now?: () => number;
}

export const DEFAULT_SIMULATOR_DELAY_MS = 300;

export function createSimulator(opts: SimulatorOptions): Simulator {
  const delay = opts.delayMs ?? DEFAULT_SIMULATOR_DELAY_MS;
  const now = opts.now ?? Date.now;
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  function schedule(modelUuid: string): void {
    // One pending step per model: a burst of changes is handled by one step.
    if (stopped || timers.has(modelUuid)) return;
    const t = setTimeout(() => {
      timers.delete(modelUuid);
      if (stopped) return;
      let changed = false;
      try {
        changed = opts.store.tx((db) => step(db, modelUuid, now()));
      } catch (err) {
        // E.g. the store closed under us during shutdown: give up on this model;
        // resume() at the next start finishes the work.
        opts.log?.warn("simulator step failed", { modelUuid, error: String(err) });
        return;
      }
      if (changed) {
        opts.changes.publish(modelUuid, "status", "log");
        schedule(modelUuid);
      }
    }, delay);
    // Scheduled steps must not keep a process alive that is otherwise done.
    t.unref();
    timers.set(modelUuid, t);
  }

  return {
    schedule,
    resume() {
      if (stopped) return;
      let uuids: string[] = [];
      try {
        uuids = listActiveModelUuids(opts.store.db);
      } catch (err) {
        opts.log?.error("simulator resume failed", { error: String(err) });
      }
      for (const uuid of uuids) schedule(uuid);
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

/** One simulation step for a model; returns whether anything changed. */
export function step(db: Db, modelUuid: string, now: number): boolean {
  const model = findModelByUuid(db, modelUuid);
  // Deleted meanwhile, dying, or frozen by a migration (agents stop making
  // changes in QUIESCE; an importing model is not live yet): nothing to do.
  if (!model || model.life !== "alive" || model.migrationMode !== "none") return false;
  const machines = listMachines(db, modelUuid);
  const units = listUnits(db, modelUuid);
  const relations = listRelations(db, modelUuid);
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
    if (m.life !== "alive" || m.agentStatus !== "pending") continue;
    const address = fakeAddress(modelUuid, m.seq);
    const instanceId = `inst-${short}-${m.id}`;
    setMachineInstance(db, modelUuid, m.id, {
      instanceId,
      dnsName: address,
      addresses: [address],
      hostname: `ferry-${short}-${m.id}`,
    });
    setMachineStatus(db, modelUuid, m.id, "instance", { status: "running" }, now);
    setMachineStatus(db, modelUuid, m.id, "agent", { status: "started" }, now);
    appendLogEntry(db, modelUuid, {
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
      appendLogEntry(db, modelUuid, { entity: tag, level: "INFO", module: "ferry.uniter", message, time: now });
    if (u.life !== "alive") {
      deleteUnit(db, modelUuid, u.name);
      appendStatusHistory(db, modelUuid, tag, "workload", "terminated", "", now);
      log(`unit ${u.name} stopped and removed`);
      leaderless.add(u.application);
      changed = true;
    } else if (u.agentStatus === "allocating" && startedMachines.has(u.machineId)) {
      setUnitStatus(db, modelUuid, u.name, "agent", { status: "executing", message: "running install hook" }, now);
      setUnitStatus(db, modelUuid, u.name, "workload", { status: "maintenance", message: Messages.installing }, now);
      log(`unit ${u.name} installing charm on machine ${u.machineId}`);
      changed = true;
    } else if (u.agentStatus === "executing" && u.workloadMessage === Messages.installing) {
      setUnitStatus(db, modelUuid, u.name, "agent", { status: "idle" }, now);
      setUnitStatus(db, modelUuid, u.name, "workload", { status: "active" }, now);
      log(`unit ${u.name} is active${u.leader ? " (leader)" : ""}`);
      changed = true;
    }
  }
  for (const app of leaderless) {
    const leader = electLeader(db, modelUuid, app);
    if (leader) {
      appendLogEntry(db, modelUuid, {
        entity: `application-${app}`,
        level: "INFO",
        module: "ferry.leadership",
        message: `unit ${leader} is now leader of ${app}`,
        time: now,
      });
    }
  }

  for (const r of relations) {
    if (r.status !== "joining") continue;
    // An application with no units has nobody to wait for.
    if (r.endpoints.some((e) => unsettledApps.has(e.application))) continue;
    setRelationStatus(db, modelUuid, r.id, { status: "joined" }, now);
    appendLogEntry(db, modelUuid, {
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
