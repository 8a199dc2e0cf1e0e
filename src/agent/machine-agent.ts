// A machine agent: the machine's own connection to its controller, and the
// deployer of the machine's units. It watches the units assigned to its
// machine; for one it has no credentials for it asks the controller to
// provision it (the controller generates the password and keeps only its
// hash), records the password in its config file and starts the unit agent
// in this process; a unit that is gone from the machine is stopped and
// forgotten. After a migration it records the new controller in its config,
// atomically, so a restart of the process finds the model where it is now.
import { Life } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { FerryClients } from "../client/connect.js";
import { Agent, type AgentPhase, type ControllerLocation } from "./agent.js";
import { removeAgentFiles, writeAgentConfig, type AgentConfig } from "./config.js";
import { UnitAgent } from "./unit-agent.js";

export interface MachineAgentOptions {
  configPath: string;
  config: AgentConfig;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Test knob: this agent (or unit agent, by tag) reports the phase as failed. */
  fail?: { phase: AgentPhase; tag?: string };
  retryMs?: number;
  maxRetryMs?: number;
  /** How long a unit's install hook takes (ms). */
  installMs?: number;
  /** Called once the machine is gone and every agent of it stopped. */
  onGone?: () => void;
}

export class MachineAgent extends Agent {
  readonly units = new Map<string, UnitAgent>();
  private config: AgentConfig;
  /** Config writes, one after another (a unit's and a switch's may overlap). */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly m: MachineAgentOptions) {
    const c = m.config;
    super({
      modelUuid: c.modelUuid,
      tag: c.machine.tag,
      password: c.machine.password,
      addresses: c.addresses,
      caPem: c.caCert,
      controllerUuid: c.controllerUuid,
      controllerName: c.controllerName,
      retryMs: m.retryMs,
      maxRetryMs: m.maxRetryMs,
      failPhase: failFor(m.fail, c.machine.tag),
      log: m.log,
      onSwitch: (to) => this.recordController(to),
    });
    this.config = c;
  }

  override start(): void {
    super.start();
    for (const u of this.config.units) this.startUnit(u.name, u.tag, u.password, u.installed);
  }

  override async stop(): Promise<void> {
    await Promise.all([...this.units.values()].map((u) => u.stop()));
    await super.stop();
    await this.saving;
  }

  private save(): Promise<void> {
    const next = this.saving.then(() =>
      this.removed ? undefined : writeAgentConfig(this.m.configPath, { ...this.config }),
    );
    this.saving = next.catch((err: unknown) =>
      this.log("agent: cannot write the agent config", { error: String(err) }),
    );
    return this.saving;
  }

  private async recordController(to: ControllerLocation): Promise<void> {
    this.config = {
      ...this.config,
      controllerUuid: to.controllerUuid || this.config.controllerUuid,
      controllerName: to.controllerName || this.config.controllerName,
      addresses: to.addresses,
      caCert: to.caPem,
    };
    await this.save();
  }

  private startUnit(name: string, tag: string, password: string, installed: boolean): UnitAgent {
    const u = new UnitAgent({
      unit: name,
      modelUuid: this.config.modelUuid,
      tag,
      password,
      addresses: this.addresses,
      caPem: this.caPem,
      controllerUuid: this.controllerUuid,
      controllerName: this.controllerName,
      retryMs: this.m.retryMs,
      maxRetryMs: this.m.maxRetryMs,
      failPhase: failFor(this.m.fail, tag),
      log: this.m.log,
      intervalMs: this.config.workloadIntervalMs,
      installed,
      installMs: this.m.installMs,
      onInstalled: async () => {
        this.config = {
          ...this.config,
          units: this.config.units.map((x) => (x.name === name ? { ...x, installed: true } : x)),
        };
        await this.save();
      },
      onRemoved: () => void this.forgetUnit(name),
    });
    this.units.set(name, u);
    u.start();
    return u;
  }

  private async forgetUnit(name: string): Promise<void> {
    const u = this.units.get(name);
    if (!u) return;
    this.units.delete(name);
    this.config = { ...this.config, units: this.config.units.filter((x) => x.name !== name) };
    await this.save();
    void u.stop();
    this.log("agent: unit removed; its agent stopped", { unit: name });
  }

  protected override onRemovedHook(why: string): void {
    void (async () => {
      await Promise.all([...this.units.values()].map((u) => u.stop()));
      this.units.clear();
      await this.saving;
      await removeAgentFiles(this.m.configPath).catch(() => undefined);
      this.log("agent: machine gone; agent files removed", { why });
      this.m.onGone?.();
    })();
  }

  /** The deployer: the machine's units, started and stopped as they come and go. */
  protected override async duringSession(c: FerryClients, signal: AbortSignal): Promise<void> {
    for await (const res of c.agent.watchMachineUnits({}, { signal })) {
      const alive = res.units.filter((u) => u.life === Life.ALIVE);
      const listed = new Set(res.units.map((u) => u.name));
      for (const name of [...this.units.keys()]) if (!listed.has(name)) await this.forgetUnit(name);
      for (const u of alive) {
        if (this.units.has(u.name)) continue;
        const p = await c.agent.provisionUnit({ unit: u.name }, { signal });
        this.config = {
          ...this.config,
          units: [...this.config.units, { name: u.name, tag: p.tag, password: p.password, installed: false }],
        };
        // The password is on disk before the unit agent first uses it.
        await this.save();
        this.startUnit(u.name, p.tag, p.password, false);
        this.log("agent: unit deployed", { unit: u.name });
      }
    }
  }
}

function failFor(fail: MachineAgentOptions["fail"], tag: string): AgentPhase | undefined {
  if (!fail) return undefined;
  return !fail.tag || fail.tag === tag ? fail.phase : undefined;
}
