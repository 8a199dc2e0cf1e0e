// Simulated machines: creating them pending and reading them back.
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { appendLogEntry } from "./log-repo.js";
import { machines, models } from "./schema.js";
import { appendStatusHistory, type MachineRow } from "./status-repo.js";

export type { MachineRow };

export interface BaseSpec {
  name: string;
  channel: string;
}

/**
 * Adds `count` pending machines to a model, allocating ids from the model's
 * counter (ids are never reused, as in the reference). Several writes: call
 * inside store.tx.
 */
export function insertMachines(db: Db, modelUuid: string, count: number, base: BaseSpec, now: number): MachineRow[] {
  const model = db.select({ next: models.nextMachineId }).from(models).where(eq(models.uuid, modelUuid)).get();
  if (!model) throw new Error(`model ${modelUuid} not found`);
  db.update(models)
    .set({ nextMachineId: model.next + count })
    .where(eq(models.uuid, modelUuid))
    .run();
  const out: MachineRow[] = [];
  for (let i = 0; i < count; i++) {
    const seq = model.next + i;
    const id = String(seq);
    const row = db
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
      .returning()
      .get();
    appendStatusHistory(db, modelUuid, `machine-${id}`, "agent", "pending", "", now);
    appendStatusHistory(db, modelUuid, `machine-${id}`, "instance", "pending", "", now);
    appendLogEntry(db, modelUuid, {
      entity: `machine-${id}`,
      level: "INFO",
      module: "ferry.provisioner",
      message: `machine ${id} added (${base.name}@${base.channel}), waiting for provisioning`,
      time: now,
    });
    out.push(row);
  }
  return out;
}

export function findMachine(db: Db, modelUuid: string, id: string): MachineRow | undefined {
  return db
    .select()
    .from(machines)
    .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)))
    .get();
}

export function listMachines(db: Db, modelUuid: string): MachineRow[] {
  return db.select().from(machines).where(eq(machines.modelUuid, modelUuid)).orderBy(asc(machines.seq)).all();
}

export interface ProvisionedInstance {
  instanceId: string;
  dnsName: string;
  addresses: string[];
  hostname: string;
}

/** Records a machine's provider instance (the simulator's provisioning result). */
export function setMachineInstance(db: Db, modelUuid: string, id: string, inst: ProvisionedInstance): void {
  db.update(machines)
    .set({
      instanceId: inst.instanceId,
      dnsName: inst.dnsName,
      addresses: JSON.stringify(inst.addresses),
      hostname: inst.hostname,
    })
    .where(and(eq(machines.modelUuid, modelUuid), eq(machines.id, id)))
    .run();
}

/** A machine's addresses, parsed from the stored JSON. */
export function machineAddresses(m: MachineRow): string[] {
  try {
    const parsed: unknown = JSON.parse(m.addresses);
    return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === "string") : [];
  } catch {
    return [];
  }
}
