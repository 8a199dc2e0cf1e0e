// The simulated cloud's provisioner (controllers started with --agents
// process): every machine it starts gets an agent. It generates the
// machine's password (the store keeps only its slow hash, which travels with
// the model), writes the machine's agent config under the data dir (mode
// 0600: controller UUID and name, every API address, the CA, the tag and
// password) and starts `ferry-agent` for it, detached from ferryd: agents
// are the machines, so they outlive a controller crash and carry on when it
// is back. Several machines share one process (agentsPerProcess) to bound
// memory; each keeps its own credentials and connection. A model destroyed
// here has its agents stopped; at start, agents of this controller whose
// process is gone (the host rebooted) are started again from their configs.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AGENT_CONFIG_VERSION,
  pidFileOf,
  processAlive,
  readAgentConfig,
  readAgentPid,
  findAgentConfigs,
  stopProcesses,
  writeAgentConfig,
  type AgentConfig,
} from "../agent/config.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { hashAgentPassword, newAgentPassword } from "../domain/credentials.js";
import type { Fence, Store } from "../store/index.js";
import type { LogSink } from "./simulator.js";
import { writeFileAtomic } from "../util/files.js";

export type AgentsMode = "process" | "none";

export interface ProvisionerOptions {
  store: Store;
  dataDir: string;
  controller: ControllerIdentity;
  /** Machines per ferry-agent process (default 25). */
  agentsPerProcess?: number;
  /** Each unit's workload report interval (ms). */
  workloadIntervalMs: number;
  log: LogSink;
}

const AGENT_BIN = fileURLToPath(new URL("../bin/ferry-agent.js", import.meta.url));
const AGENT_NODE_ARGS = ["--max-semi-space-size=2"];

/** Environment variables an agent process gets from ferryd (nothing secret: no admin password, no store URL). */
function agentEnv(): NodeJS.ProcessEnv {
  const keep = Object.entries(process.env).filter(
    ([k]) => ["PATH", "HOME", "TZ", "LANG"].includes(k) || k.startsWith("NODE_") || k.startsWith("FERRY_AGENT_"),
  );
  return Object.fromEntries(keep);
}

export class AgentProvisioner {
  /** Machines being provisioned now (one provisioning per machine at a time). */
  private readonly busy = new Set<string>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(private readonly opts: ProvisionerOptions) {
    // A model destroyed here takes its machines, and so their agents, with it
    // (not one that migrated away: its agents follow it).
    this.unsubscribe = opts.store.changes.subscribeAll((c) => {
      if (c.kinds.includes("deleted") && c.modelUuid !== "*") void this.modelGone(c.modelUuid);
    });
  }

  get agentsDir(): string {
    return join(this.opts.dataDir, "agents");
  }

  private modelDir(modelUuid: string): string {
    return join(this.agentsDir, modelUuid);
  }

  configPath(modelUuid: string, machineId: string): string {
    return join(this.modelDir(modelUuid), `machine-${machineId}.json`);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  /**
   * Gives agents to the model's started machines that have none running
   * (safe to repeat: a machine whose agent process is alive is left alone).
   */
  async provision(modelUuid: string, fence: Fence | undefined): Promise<void> {
    if (this.stopped) return;
    const machines = await this.opts.store.read(async (tx) => {
      const model = await tx.models.byUuid(modelUuid);
      if (!model || model.life !== "alive" || model.migrationMode !== "none") return [];
      return (await tx.machines.list(modelUuid)).filter(
        (m) => m.life === "alive" && m.instanceStatus === "running" && m.agentStatus === "pending",
      );
    });
    const todo: string[] = [];
    for (const m of machines) {
      const key = `${modelUuid}/${m.id}`;
      if (this.busy.has(key)) continue;
      const pid = await readAgentPid(this.configPath(modelUuid, m.id));
      if (pid && processAlive(pid)) continue;
      todo.push(m.id);
    }
    if (!todo.length) return;
    for (const id of todo) this.busy.add(`${modelUuid}/${id}`);
    try {
      const creds = await Promise.all(
        todo.map(async (id) => {
          const password = newAgentPassword();
          return { id, password, hash: await hashAgentPassword(password) };
        }),
      );
      const given = await this.opts.store.write(
        async (tx) => {
          await tx.lockModel(modelUuid);
          const model = await tx.models.byUuid(modelUuid);
          if (!model || model.life !== "alive" || model.migrationMode !== "none") return [];
          const out: typeof creds = [];
          for (const c of creds) if (await tx.machines.setPasswordHash(modelUuid, c.id, c.hash)) out.push(c);
          if (out.length)
            await tx.logs.append(modelUuid, {
              entity: "model",
              level: "INFO",
              module: "ferry.provisioner",
              message: `agents provisioned for machine${out.length === 1 ? "" : "s"} ${out.map((c) => c.id).join(", ")}`,
              time: Date.now(),
            });
          return out;
        },
        { fence },
      );
      const paths: string[] = [];
      const c = this.opts.controller;
      for (const g of given) {
        const config: AgentConfig = {
          version: AGENT_CONFIG_VERSION,
          controllerUuid: c.uuid,
          controllerName: c.name,
          modelUuid,
          addresses: [...c.addresses],
          caCert: c.caCertPem,
          machine: { id: g.id, tag: `machine-${g.id}`, password: g.password },
          units: [],
          workloadIntervalMs: this.opts.workloadIntervalMs,
        };
        const path = this.configPath(modelUuid, g.id);
        await writeAgentConfig(path, config);
        paths.push(path);
      }
      await this.spawnHosts(paths);
    } finally {
      for (const id of todo) this.busy.delete(`${modelUuid}/${id}`);
    }
  }

  /** Starts ferry-agent processes for these configs, agentsPerProcess machines each. */
  private async spawnHosts(paths: string[]): Promise<void> {
    const per = Math.max(1, this.opts.agentsPerProcess ?? 25);
    for (let i = 0; i < paths.length; i += per) {
      const group = paths.slice(i, i + per);
      const logPath = `${group[0]!.replace(/\.json$/, "")}.log`;
      const fd = openSync(logPath, "a", 0o600);
      try {
        // A small young generation: an agent process holds many small, long-lived
        // objects (one connection per agent), and V8's default semi-spaces
        // would cost tens of MiB per process for nothing.
        const child = spawn(
          process.execPath,
          [...AGENT_NODE_ARGS, AGENT_BIN, ...group.flatMap((p) => ["--config", p])],
          {
            detached: true,
            stdio: ["ignore", fd, fd],
            env: agentEnv(),
          },
        );
        child.on("error", (err) => this.opts.log.error("agents: cannot start ferry-agent", { error: String(err) }));
        child.unref();
        if (child.pid) {
          // Recorded by us as well as by the agent, so a crash of ferryd right
          // after the spawn still leaves the process findable.
          for (const p of group) await writeFileAtomic(pidFileOf(p), `${child.pid}\n`, 0o644);
          this.opts.log.info("agents: started ferry-agent", {
            pid: child.pid,
            machines: group.length,
            log: logPath,
          });
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  private configs(): Promise<{ modelUuid: string; path: string }[]> {
    return findAgentConfigs(this.opts.dataDir);
  }

  /**
   * At start: agents of this controller's machines whose process is gone are
   * started again from their configs (the machines rebooted); configs of
   * machines that no longer exist are removed.
   */
  async resume(): Promise<void> {
    const restart: string[] = [];
    for (const { modelUuid, path } of await this.configs()) {
      let config: AgentConfig;
      try {
        config = await readAgentConfig(path);
      } catch (err) {
        this.opts.log.warn("agents: unreadable agent config left alone", { path, error: String(err) });
        continue;
      }
      // It follows another controller now (the model migrated): not ours to run.
      if (config.controllerUuid !== this.opts.controller.uuid) continue;
      const pid = await readAgentPid(path);
      if (pid && processAlive(pid)) continue;
      const exists = await this.opts.store.read(async (tx) => !!(await tx.machines.find(modelUuid, config.machine.id)));
      if (!exists) {
        await rm(path, { force: true });
        await rm(pidFileOf(path), { force: true });
        continue;
      }
      restart.push(path);
    }
    if (restart.length) {
      this.opts.log.info("agents: starting agents whose process is gone", { machines: restart.length });
      // One model's machines per process, so destroying a model stops only its own.
      const byModel = new Map<string, string[]>();
      for (const p of restart) {
        const m = p.split("/").slice(-2, -1)[0]!;
        byModel.set(m, [...(byModel.get(m) ?? []), p]);
      }
      for (const paths of byModel.values()) await this.spawnHosts(paths);
    }
  }

  /** Stops the agents of a model destroyed here. */
  private async modelGone(modelUuid: string): Promise<void> {
    const moved = await this.opts.store.read((tx) => tx.redirects.byUuid(modelUuid)).catch(() => undefined);
    if (moved) return;
    const mine = (await this.configs()).filter((c) => c.modelUuid === modelUuid);
    if (!mine.length) return;
    const pids = new Set<number>();
    for (const { path } of mine) {
      const config = await readAgentConfig(path).catch(() => undefined);
      if (config && config.controllerUuid !== this.opts.controller.uuid) continue;
      const pid = await readAgentPid(path);
      if (pid) pids.add(pid);
    }
    await stopProcesses([...pids]);
    await rm(this.modelDir(modelUuid), { recursive: true, force: true });
    if (pids.size)
      this.opts.log.info("agents: stopped the agents of a destroyed model", { modelUuid, processes: pids.size });
  }
}
