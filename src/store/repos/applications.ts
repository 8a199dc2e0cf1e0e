// Charms stored in a model, applications, their units and their config.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { ApplicationRow, CharmInfoRow, UnitRow } from "../rows.js";
import type { Tables } from "../session.js";
import { first } from "../session.js";
import { Messages } from "../../domain/status.js";
import { Repo } from "./base.js";
import type { StatusUpdate } from "./models.js";

function charmInfoColumns(charms: Tables["charms"]) {
  return {
    modelUuid: charms.modelUuid,
    url: charms.url,
    name: charms.name,
    revision: charms.revision,
    source: charms.source,
    metadata: charms.metadata,
    sha256: charms.sha256,
    size: charms.size,
    createdAt: charms.createdAt,
  };
}

export interface NewCharm {
  modelUuid: string;
  url: string;
  name: string;
  revision: number;
  source: string;
  metadata: string;
  sha256: string;
  size: number;
  archive: Buffer;
  createdAt: number;
}

export class CharmRepo extends Repo {
  async listInfos(modelUuid: string): Promise<CharmInfoRow[]> {
    const { charms } = this.t;
    return this.db
      .select(charmInfoColumns(charms))
      .from(charms)
      .where(eq(charms.modelUuid, modelUuid))
      .orderBy(asc(charms.name), asc(charms.revision));
  }

  async findInfo(modelUuid: string, url: string): Promise<CharmInfoRow | undefined> {
    const { charms } = this.t;
    return first(
      await this.db
        .select(charmInfoColumns(charms))
        .from(charms)
        .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url))),
    );
  }

  /** The highest revision of a charm name from a source, or undefined. */
  async latestRevision(modelUuid: string, source: string, name: string): Promise<CharmInfoRow | undefined> {
    const { charms } = this.t;
    return first(
      await this.db
        .select(charmInfoColumns(charms))
        .from(charms)
        .where(and(eq(charms.modelUuid, modelUuid), eq(charms.source, source), eq(charms.name, name)))
        .orderBy(desc(charms.revision))
        .limit(1),
    );
  }

  async insert(row: NewCharm): Promise<void> {
    await this.db.insert(this.t.charms).values(row);
    this.s.touch(row.modelUuid, "status");
  }

  /** A stored charm's archive bytes (for migration upload). */
  async archive(modelUuid: string, url: string): Promise<Buffer | undefined> {
    const { charms } = this.t;
    return first(
      await this.db
        .select({ archive: charms.archive })
        .from(charms)
        .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url))),
    )?.archive;
  }

  /** Charms of the model whose archive has not been uploaded (its length differs from the recorded size). */
  async missingArchives(modelUuid: string): Promise<string[]> {
    const { charms } = this.t;
    const rows = await this.db
      .select({ url: charms.url })
      .from(charms)
      .where(and(eq(charms.modelUuid, modelUuid), sql`length(${charms.archive}) <> ${charms.size}`))
      .orderBy(charms.url);
    return rows.map((r) => r.url);
  }

  /** Stores a verified charm archive into a charm row that was imported without it. */
  async storeArchive(modelUuid: string, url: string, archive: Buffer): Promise<void> {
    const { charms } = this.t;
    await this.db
      .update(charms)
      .set({ archive })
      .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url)));
    this.s.touch(modelUuid, "status");
  }
}

export interface NewApplication {
  name: string;
  charmUrl: string;
  base: { name: string; channel: string };
  config: Record<string, string>;
}

export class ApplicationRepo extends Repo {
  async find(modelUuid: string, name: string): Promise<ApplicationRow | undefined> {
    const { applications } = this.t;
    return first(
      await this.db
        .select()
        .from(applications)
        .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, name))),
    );
  }

  async list(modelUuid: string): Promise<ApplicationRow[]> {
    const { applications } = this.t;
    const q = this.s.prepared("applications", (db) =>
      db
        .select()
        .from(applications)
        .where(eq(applications.modelUuid, sql.placeholder("m")))
        .orderBy(asc(applications.name))
        .prepare("applications"),
    );
    return q.execute({ m: modelUuid });
  }

  async insert(modelUuid: string, app: NewApplication, now: number): Promise<ApplicationRow> {
    const { applications, applicationConfig } = this.t;
    const [row] = await this.db
      .insert(applications)
      .values({
        modelUuid,
        name: app.name,
        charmUrl: app.charmUrl,
        baseName: app.base.name,
        baseChannel: app.base.channel,
        createdAt: now,
      })
      .returning();
    const entries = Object.entries(app.config);
    if (entries.length) {
      await this.db
        .insert(applicationConfig)
        .values(entries.map(([key, value]) => ({ modelUuid, application: app.name, key, value })));
    }
    await this.r.logs.append(modelUuid, {
      entity: `application-${app.name}`,
      level: "INFO",
      module: "ferry.deployer",
      message: `application ${app.name} deployed from ${app.charmUrl}`,
      time: now,
    });
    this.s.touch(modelUuid, "status", "config");
    return row!;
  }

  /** Marks an application dying: its units go, and then it does (the simulator removes it). */
  async markDying(modelUuid: string, name: string, now: number): Promise<void> {
    const { applications } = this.t;
    await this.db
      .update(applications)
      .set({ life: "dying" })
      .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, name)));
    await this.r.logs.append(modelUuid, {
      entity: `application-${name}`,
      level: "INFO",
      module: "ferry.deployer",
      message: `application ${name} is being removed`,
      time: now,
    });
    this.s.touch(modelUuid, "status", "units");
  }

  /** Sets whether the application is exposed; false when it already was so. */
  async setExposed(modelUuid: string, name: string, exposed: boolean, now: number): Promise<boolean> {
    const { applications } = this.t;
    const changed = await this.db
      .update(applications)
      .set({ exposed })
      .where(
        and(eq(applications.modelUuid, modelUuid), eq(applications.name, name), eq(applications.exposed, !exposed)),
      )
      .returning({ name: applications.name });
    if (!changed.length) return false;
    await this.r.logs.append(modelUuid, {
      entity: `application-${name}`,
      level: "INFO",
      module: "ferry.deployer",
      message: `application ${name} ${exposed ? "exposed" : "unexposed"}`,
      time: now,
    });
    this.s.touch(modelUuid, "status");
    return true;
  }

  /** Deletes an application row and its config (once its last unit is gone). */
  async delete(modelUuid: string, name: string, now: number): Promise<void> {
    const { applications, applicationConfig } = this.t;
    await this.db
      .delete(applicationConfig)
      .where(and(eq(applicationConfig.modelUuid, modelUuid), eq(applicationConfig.application, name)));
    await this.db.delete(applications).where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, name)));
    await this.r.logs.append(modelUuid, {
      entity: `application-${name}`,
      level: "INFO",
      module: "ferry.deployer",
      message: `application ${name} removed`,
      time: now,
    });
    this.s.touch(modelUuid, "status", "config");
  }

  async config(modelUuid: string, application: string): Promise<Record<string, string>> {
    const { applicationConfig } = this.t;
    const rows = await this.db
      .select()
      .from(applicationConfig)
      .where(and(eq(applicationConfig.modelUuid, modelUuid), eq(applicationConfig.application, application)))
      .orderBy(asc(applicationConfig.key));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Replaces an application's user config and bumps its generation (the etag). */
  async replaceConfig(modelUuid: string, application: string, values: Record<string, string>): Promise<number> {
    const { applicationConfig, applications } = this.t;
    await this.db
      .delete(applicationConfig)
      .where(and(eq(applicationConfig.modelUuid, modelUuid), eq(applicationConfig.application, application)));
    const entries = Object.entries(values);
    if (entries.length) {
      await this.db
        .insert(applicationConfig)
        .values(entries.map(([key, value]) => ({ modelUuid, application, key, value })));
    }
    const [row] = await this.db
      .update(applications)
      .set({ configGeneration: sql`${applications.configGeneration} + 1` })
      .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, application)))
      .returning({ g: applications.configGeneration });
    this.s.touch(modelUuid, "config");
    return row?.g ?? 0;
  }
}

export class UnitRepo extends Repo {
  async list(modelUuid: string, application?: string): Promise<UnitRow[]> {
    const { units } = this.t;
    if (!application) {
      const q = this.s.prepared("units", (db) =>
        db
          .select()
          .from(units)
          .where(eq(units.modelUuid, sql.placeholder("m")))
          .orderBy(asc(units.application), asc(units.number))
          .prepare("units"),
      );
      return q.execute({ m: modelUuid });
    }
    return this.db
      .select()
      .from(units)
      .where(and(eq(units.modelUuid, modelUuid), eq(units.application, application)))
      .orderBy(asc(units.application), asc(units.number));
  }

  /** The units on one machine, by name. */
  /** Units still "waiting for machine" on a machine that has just started: they now wait for their agent. */
  async machineStarted(modelUuid: string, machineId: string, now: number): Promise<void> {
    const { units } = this.t;
    const waiting = await this.db
      .select({ name: units.name })
      .from(units)
      .where(
        and(
          eq(units.modelUuid, modelUuid),
          eq(units.machineId, machineId),
          eq(units.workloadMessage, Messages.waitingForMachine),
        ),
      );
    for (const u of waiting) {
      await this.setStatus(
        modelUuid,
        u.name,
        "workload",
        { status: "waiting", message: Messages.agentInitialising },
        now,
      );
    }
  }

  async onMachine(modelUuid: string, machineId: string): Promise<{ name: string; life: string }[]> {
    const { units } = this.t;
    return this.db
      .select({ name: units.name, life: units.life })
      .from(units)
      .where(and(eq(units.modelUuid, modelUuid), eq(units.machineId, machineId)))
      .orderBy(asc(units.name));
  }

  async find(modelUuid: string, name: string): Promise<UnitRow | undefined> {
    const { units } = this.t;
    return first(
      await this.db
        .select()
        .from(units)
        .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name))),
    );
  }

  /**
   * Adds one unit per machine id to an application, numbering from the
   * application's counter (numbers are never reused). The first unit becomes
   * leader when the application has none.
   */
  async insert(modelUuid: string, application: string, machineIds: string[], now: number): Promise<UnitRow[]> {
    const { applications, units } = this.t;
    const [app] = await this.db
      .update(applications)
      .set({ nextUnitNum: sql`${applications.nextUnitNum} + ${machineIds.length}` })
      .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, application)))
      .returning({ next: applications.nextUnitNum });
    if (!app) throw new Error(`application ${application} not found`);
    const start = app.next - machineIds.length;
    let needLeader = !(await this.hasLeader(modelUuid, application));
    const out: UnitRow[] = [];
    const machineStarted = new Map<string, boolean>();
    for (const [i, machineId] of machineIds.entries()) {
      const number = start + i;
      const name = `${application}/${number}`;
      // A unit placed on a machine that is already up waits for its own agent, not for the machine.
      if (!machineStarted.has(machineId)) {
        machineStarted.set(machineId, (await this.r.machines.find(modelUuid, machineId))?.agentStatus === "started");
      }
      const waiting = machineStarted.get(machineId) ? Messages.agentInitialising : Messages.waitingForMachine;
      const [row] = await this.db
        .insert(units)
        .values({
          modelUuid,
          name,
          application,
          number,
          machineId,
          leader: needLeader,
          workloadStatus: "waiting",
          workloadMessage: waiting,
          workloadSince: now,
          agentStatus: "allocating",
          agentSince: now,
        })
        .returning();
      needLeader = false;
      const tag = `unit-${application}-${number}`;
      await this.r.status.append(modelUuid, tag, "workload", "waiting", waiting, now);
      await this.r.status.append(modelUuid, tag, "agent", "allocating", "", now);
      await this.r.logs.append(modelUuid, {
        entity: tag,
        level: "INFO",
        module: "ferry.deployer",
        message: `unit ${name} added to machine ${machineId}`,
        time: now,
      });
      out.push(row!);
    }
    this.s.touch(modelUuid, "status", "units");
    return out;
  }

  private async hasLeader(modelUuid: string, application: string): Promise<boolean> {
    const { units } = this.t;
    const rows = await this.db
      .select({ name: units.name })
      .from(units)
      .where(
        and(
          eq(units.modelUuid, modelUuid),
          eq(units.application, application),
          eq(units.leader, true),
          eq(units.life, "alive"),
        ),
      )
      .limit(1);
    return rows.length > 0;
  }

  /** Marks a unit dying: it stops and is removed by the simulated agent. */
  async markDying(modelUuid: string, name: string, now: number): Promise<void> {
    const { units } = this.t;
    await this.db
      .update(units)
      .set({ life: "dying", leader: false })
      .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)));
    await this.r.logs.append(modelUuid, {
      entity: `unit-${name.replace("/", "-")}`,
      level: "INFO",
      module: "ferry.deployer",
      message: `unit ${name} is being removed`,
      time: now,
    });
    this.s.touch(modelUuid, "status", "units");
  }

  /** Deletes a unit row (after its agent has stopped). */
  async delete(modelUuid: string, name: string): Promise<void> {
    const { units } = this.t;
    await this.db.delete(units).where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)));
    this.s.touch(modelUuid, "status", "units");
  }

  /**
   * Makes the lowest-numbered alive unit leader when the application has no
   * alive leader (after its leader was removed). Returns the new leader.
   */
  async electLeader(modelUuid: string, application: string): Promise<string | undefined> {
    const { units } = this.t;
    if (await this.hasLeader(modelUuid, application)) return undefined;
    const next = first(
      await this.db
        .select({ name: units.name })
        .from(units)
        .where(and(eq(units.modelUuid, modelUuid), eq(units.application, application), eq(units.life, "alive")))
        .orderBy(asc(units.number))
        .limit(1),
    );
    if (!next) return undefined;
    await this.db
      .update(units)
      .set({ leader: true })
      .where(and(eq(units.modelUuid, modelUuid), eq(units.name, next.name)));
    this.s.touch(modelUuid, "status");
    return next.name;
  }

  /** Sets a unit's agent or workload status (with its history row); false when it did not change. */
  async setStatus(
    modelUuid: string,
    name: string,
    which: "agent" | "workload",
    u: StatusUpdate,
    now: number,
  ): Promise<boolean> {
    const { units } = this.t;
    const row = await this.find(modelUuid, name);
    if (!row) return false;
    const message = u.message ?? "";
    const [cur, curMsg] =
      which === "agent" ? [row.agentStatus, row.agentMessage] : [row.workloadStatus, row.workloadMessage];
    if (cur === u.status && curMsg === message) return false;
    const set =
      which === "agent"
        ? { agentStatus: u.status, agentMessage: message, agentSince: now }
        : { workloadStatus: u.status, workloadMessage: message, workloadSince: now };
    await this.db
      .update(units)
      .set(set)
      .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)));
    await this.r.status.append(modelUuid, `unit-${name.replace("/", "-")}`, which, u.status, message, now);
    this.s.touch(modelUuid, "status");
    return true;
  }

  /** A unit agent's stored password hash: null when it has none, undefined when the unit does not exist. */
  async passwordHash(modelUuid: string, name: string): Promise<string | null | undefined> {
    const { units } = this.t;
    const r = first(
      await this.db
        .select({ h: units.passwordHash })
        .from(units)
        .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name))),
    );
    return r ? r.h : undefined;
  }

  /** Sets the unit agent's password hash; false when the unit does not exist. */
  async setPasswordHash(modelUuid: string, name: string, hash: string): Promise<boolean> {
    const { units } = this.t;
    const done = await this.db
      .update(units)
      .set({ passwordHash: hash })
      .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
      .returning({ name: units.name });
    return done.length > 0;
  }
}
