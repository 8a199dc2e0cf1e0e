// Simulated machines: creating them pending, reading them back, their
// provider instance and their statuses.
import { and, asc, eq, sql } from "drizzle-orm";
import type { MachineRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";
import type { StatusUpdate } from "./models.js";

export interface BaseSpec {
  name: string;
  channel: string;
}

export interface ProvisionedInstance {
  instanceId: string;
  dnsName: string;
  addresses: string[];
  hostname: string;
}

/** A machine's addresses, parsed from the stored JSON. */
export function machineAddresses(m: Pick<MachineRow, "addresses">): string[] {
  try {
    const parsed: unknown = JSON.parse(m.addresses);
    return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === "string") : [];
  } catch {
    return [];
  }
}

export class MachineRepo extends Repo {
  /**
   * Adds `count` pending machines to a model, allocating ids from the model's
   * counter (ids are never reused, as in the reference).
   */
  async insert(modelUuid: string, count: number, base: BaseSpec, now: number): Promise<MachineRow[]> {
    const { models, machines } = this.t;
    if (count <= 0) return [];
    // One statement moves the counter, so concurrent writers cannot hand out an id twice.
    const [model] = await this.db
      .update(models)
      .set({ nextMachineId: sql`${models.nextMachineId} + ${count}` })
      .where(eq(models.uuid, modelUuid))
      .returning({ next: models.nextMachineId });
    if (!model) throw new Error(`model ${modelUuid} not found`);
    const start = model.next - count;
    const out: MachineRow[] = [];
    for (let i = 0; i < count; i++) {
      const seq = start + i;
      const id = String(seq);
      const [row] = await this.db
        .insert(machines)
        .values({
          modelUuid,
          id,
          seq,
          baseName: base.name,
          baseChannel: base.channel,
          agentStatus: "pending",
          agentSince: now,
          instanceStatus: "pending",
          instanceSince: now,
          createdAt: now,
        })
        .returning();
      await this.r.status.append(modelUuid, `machine-${id}`, "agent", "pending", "", now);
      await this.r.status.append(modelUuid, `machine-${id}`, "instance", "pending", "", now);
      await this.r.logs.append(modelUuid, {
        entity: `machine-${id}`,
        level: "INFO",
        module: "ferry.provisioner",
        message: `machine ${id} added (${base.name}@${base.channel}), waiting for provisioning`,
        time: now,
      });
      out.push(row!);
    }
    this.s.touch(modelUuid, "status");
    return out;
  }

  async find(modelUuid: string, id: string): Promise<MachineRow | undefined> {
    const { machines } = this.t;
    return first(
      await this.db
        .select()
        .from(machines)
        .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id))),
    );
  }

  async list(modelUuid: string): Promise<MachineRow[]> {
    const { machines } = this.t;
    const q = this.s.prepared("machines", (db) =>
      db
        .select()
        .from(machines)
        .where(eq(machines.modelUuid, sql.placeholder("m")))
        .orderBy(asc(machines.seq))
        .prepare("machines"),
    );
    return q.execute({ m: modelUuid });
  }

  /** Marks a machine dying: the simulated cloud stops it once no unit is left on it. */
  async markDying(modelUuid: string, id: string, now: number): Promise<void> {
    const { machines } = this.t;
    await this.db
      .update(machines)
      .set({ life: "dying" })
      .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)));
    await this.r.logs.append(modelUuid, {
      entity: `machine-${id}`,
      level: "INFO",
      module: "ferry.provisioner",
      message: `machine ${id} is being removed`,
      time: now,
    });
    // "units": the machine's agent watches that kind, and learns it is gone.
    this.s.touch(modelUuid, "status", "units");
  }

  /** Deletes a machine row (its instance stopped; its agent learns it is gone). */
  async delete(modelUuid: string, id: string): Promise<void> {
    const { machines } = this.t;
    await this.db.delete(machines).where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)));
    this.s.touch(modelUuid, "status", "units");
  }

  /** Records a machine's provider instance (the simulator's provisioning result). */
  async setInstance(modelUuid: string, id: string, inst: ProvisionedInstance): Promise<void> {
    const { machines } = this.t;
    await this.db
      .update(machines)
      .set({
        instanceId: inst.instanceId,
        dnsName: inst.dnsName,
        addresses: JSON.stringify(inst.addresses),
        hostname: inst.hostname,
      })
      .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)));
    this.s.touch(modelUuid, "status");
  }

  /** Sets a machine's agent or instance status (with its history row); false when it did not change. */
  async setStatus(
    modelUuid: string,
    id: string,
    which: "agent" | "instance",
    u: StatusUpdate,
    now: number,
  ): Promise<boolean> {
    const { machines } = this.t;
    const m = await this.find(modelUuid, id);
    if (!m) return false;
    const message = u.message ?? "";
    const [cur, curMsg] = which === "agent" ? [m.agentStatus, m.agentMessage] : [m.instanceStatus, m.instanceMessage];
    if (cur === u.status && curMsg === message) return false;
    const set =
      which === "agent"
        ? { agentStatus: u.status, agentMessage: message, agentSince: now }
        : { instanceStatus: u.status, instanceMessage: message, instanceSince: now };
    await this.db
      .update(machines)
      .set(set)
      .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)));
    await this.r.status.append(modelUuid, `machine-${id}`, which, u.status, message, now);
    if (which === "agent" && u.status === "started") await this.r.units.machineStarted(modelUuid, id, now);
    this.s.touch(modelUuid, "status");
    return true;
  }

  /** An agent's stored password hash: null when it has none, undefined when the machine does not exist. */
  async passwordHash(modelUuid: string, id: string): Promise<string | null | undefined> {
    const { machines } = this.t;
    const r = first(
      await this.db
        .select({ h: machines.passwordHash })
        .from(machines)
        .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id))),
    );
    return r ? r.h : undefined;
  }

  /** Sets the machine agent's password hash; false when the machine does not exist. */
  async setPasswordHash(modelUuid: string, id: string, hash: string): Promise<boolean> {
    const { machines } = this.t;
    const done = await this.db
      .update(machines)
      .set({ passwordHash: hash })
      .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)))
      .returning({ id: machines.id });
    return done.length > 0;
  }
}
