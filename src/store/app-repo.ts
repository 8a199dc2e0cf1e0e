// Charms stored in a model, applications, their units and their config.
import { and, asc, desc, eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { appendLogEntry } from "./log-repo.js";
import { applicationConfig, applications, charms, units } from "./schema.js";
import { appendStatusHistory, type ApplicationRow, type UnitRow } from "./status-repo.js";

export type { ApplicationRow, UnitRow };
export type CharmRow = typeof charms.$inferSelect;
/** A charm row without its archive bytes (for listings). */
export type CharmInfoRow = Omit<CharmRow, "archive">;

const charmInfoColumns = {
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

// ---- charms ------------------------------------------------------------------

export function listCharmInfos(db: Db, modelUuid: string): CharmInfoRow[] {
  return db
    .select(charmInfoColumns)
    .from(charms)
    .where(eq(charms.modelUuid, modelUuid))
    .orderBy(asc(charms.name), asc(charms.revision))
    .all();
}

export function findCharmInfo(db: Db, modelUuid: string, url: string): CharmInfoRow | undefined {
  return db
    .select(charmInfoColumns)
    .from(charms)
    .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url)))
    .get();
}

/** The highest revision of a charm name from a source, or undefined. */
export function latestCharmRevision(db: Db, modelUuid: string, source: string, name: string): CharmInfoRow | undefined {
  return db
    .select(charmInfoColumns)
    .from(charms)
    .where(and(eq(charms.modelUuid, modelUuid), eq(charms.source, source), eq(charms.name, name)))
    .orderBy(desc(charms.revision))
    .limit(1)
    .get();
}

export function insertCharm(db: Db, row: typeof charms.$inferInsert): void {
  db.insert(charms).values(row).run();
}

/** A stored charm's archive bytes (for migration upload). */
export function readCharmArchive(db: Db, modelUuid: string, url: string): Buffer | undefined {
  return db
    .select({ archive: charms.archive })
    .from(charms)
    .where(and(eq(charms.modelUuid, modelUuid), eq(charms.url, url)))
    .get()?.archive;
}

// ---- applications --------------------------------------------------------------

export function findApplication(db: Db, modelUuid: string, name: string): ApplicationRow | undefined {
  return db
    .select()
    .from(applications)
    .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, name)))
    .get();
}

export function listApplications(db: Db, modelUuid: string): ApplicationRow[] {
  return db
    .select()
    .from(applications)
    .where(eq(applications.modelUuid, modelUuid))
    .orderBy(asc(applications.name))
    .all();
}

export interface NewApplication {
  name: string;
  charmUrl: string;
  base: { name: string; channel: string };
  config: Record<string, string>;
}

export function insertApplication(db: Db, modelUuid: string, app: NewApplication, now: number): ApplicationRow {
  const row = db
    .insert(applications)
    .values({
      modelUuid,
      name: app.name,
      charmUrl: app.charmUrl,
      baseName: app.base.name,
      baseChannel: app.base.channel,
      createdAt: now,
    })
    .returning()
    .get();
  const entries = Object.entries(app.config);
  if (entries.length) {
    db.insert(applicationConfig)
      .values(entries.map(([key, value]) => ({ modelUuid, application: app.name, key, value })))
      .run();
  }
  appendLogEntry(db, modelUuid, {
    entity: `application-${app.name}`,
    level: "INFO",
    module: "ferry.deployer",
    message: `application ${app.name} deployed from ${app.charmUrl}`,
    time: now,
  });
  return row;
}

export function getApplicationConfig(db: Db, modelUuid: string, application: string): Record<string, string> {
  const rows = db
    .select()
    .from(applicationConfig)
    .where(and(eq(applicationConfig.modelUuid, modelUuid), eq(applicationConfig.application, application)))
    .all();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Replaces an application's user config and bumps its generation (the etag). */
export function replaceApplicationConfig(
  db: Db,
  modelUuid: string,
  application: string,
  values: Record<string, string>,
): number {
  const where = and(eq(applicationConfig.modelUuid, modelUuid), eq(applicationConfig.application, application));
  db.delete(applicationConfig).where(where).run();
  const entries = Object.entries(values);
  if (entries.length) {
    db.insert(applicationConfig)
      .values(entries.map(([key, value]) => ({ modelUuid, application, key, value })))
      .run();
  }
  const app = findApplication(db, modelUuid, application);
  const next = (app?.configGeneration ?? 0) + 1;
  db.update(applications)
    .set({ configGeneration: next })
    .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, application)))
    .run();
  return next;
}

// ---- units --------------------------------------------------------------------

export function listUnits(db: Db, modelUuid: string, application?: string): UnitRow[] {
  const cond = application
    ? and(eq(units.modelUuid, modelUuid), eq(units.application, application))
    : eq(units.modelUuid, modelUuid);
  return db.select().from(units).where(cond).orderBy(asc(units.application), asc(units.number)).all();
}

export function findUnit(db: Db, modelUuid: string, name: string): UnitRow | undefined {
  return db
    .select()
    .from(units)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
    .get();
}

/**
 * Adds one unit per machine id to an application, numbering from the
 * application's counter (numbers are never reused). The first unit becomes
 * leader when the application has none. Call inside store.tx.
 */
export function insertUnits(
  db: Db,
  modelUuid: string,
  application: string,
  machineIds: string[],
  now: number,
): UnitRow[] {
  const app = findApplication(db, modelUuid, application);
  if (!app) throw new Error(`application ${application} not found`);
  db.update(applications)
    .set({ nextUnitNum: app.nextUnitNum + machineIds.length })
    .where(and(eq(applications.modelUuid, modelUuid), eq(applications.name, application)))
    .run();
  let needLeader = !hasLeader(db, modelUuid, application);
  return machineIds.map((machineId, i) => {
    const number = app.nextUnitNum + i;
    const name = `${application}/${number}`;
    const row = db
      .insert(units)
      .values({
        modelUuid,
        name,
        application,
        number,
        machineId,
        leader: needLeader,
        workloadStatus: "waiting",
        workloadMessage: "waiting for machine",
        workloadSince: now,
        agentStatus: "allocating",
        agentSince: now,
      })
      .returning()
      .get();
    needLeader = false;
    const tag = `unit-${application}-${number}`;
    appendStatusHistory(db, modelUuid, tag, "workload", "waiting", "waiting for machine", now);
    appendStatusHistory(db, modelUuid, tag, "agent", "allocating", "", now);
    appendLogEntry(db, modelUuid, {
      entity: tag,
      level: "INFO",
      module: "ferry.deployer",
      message: `unit ${name} added to machine ${machineId}`,
      time: now,
    });
    return row;
  });
}

function hasLeader(db: Db, modelUuid: string, application: string): boolean {
  return (
    db
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
      .get() !== undefined
  );
}

/** Marks a unit dying: it stops and is removed by the simulated agent. */
export function markUnitDying(db: Db, modelUuid: string, name: string, now: number): void {
  db.update(units)
    .set({ life: "dying", leader: false })
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
    .run();
  appendLogEntry(db, modelUuid, {
    entity: `unit-${name.replace("/", "-")}`,
    level: "INFO",
    module: "ferry.deployer",
    message: `unit ${name} is being removed`,
    time: now,
  });
}

/** Deletes a unit row (after its agent has stopped). */
export function deleteUnit(db: Db, modelUuid: string, name: string): void {
  db.delete(units)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, name)))
    .run();
}

/**
 * Makes the lowest-numbered alive unit leader when the application has no
 * alive leader (after its leader was removed). Returns the new leader.
 */
export function electLeader(db: Db, modelUuid: string, application: string): string | undefined {
  if (hasLeader(db, modelUuid, application)) return undefined;
  const next = db
    .select({ name: units.name })
    .from(units)
    .where(and(eq(units.modelUuid, modelUuid), eq(units.application, application), eq(units.life, "alive")))
    .orderBy(asc(units.number))
    .limit(1)
    .get();
  if (!next) return undefined;
  db.update(units)
    .set({ leader: true })
    .where(and(eq(units.modelUuid, modelUuid), eq(units.name, next.name)))
    .run();
  return next.name;
}
