// Models as rows: finding them by reference, creating, listing (paged),
// counting, their users, their config, their status line, and removing
// everything a model owns.
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, gt, inArray, isNull, lte, ne, or, sql } from "drizzle-orm";
import type { ModelRow, ModelUserRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

export interface NewModel {
  /** Defaults to a random UUID (a migration import passes the source's). */
  uuid?: string;
  name: string;
  owner: string;
  cloud: string;
  cloudType: string;
  region: string;
  agentVersion: string;
  isController?: boolean;
  /** Initial model config values (already validated). */
  config?: Record<string, string>;
  /** Creation time in ms; now when omitted. */
  now?: number;
}

export interface ModelPageQuery {
  /** Only models shared with this user (ignored when all is true). */
  user: string;
  all: boolean;
  /** Continue after this owner/name (exclusive). */
  after?: { owner: string; name: string };
  limit: number;
}

export interface ModelCounts {
  machines: number;
  units: number;
}

export interface StatusUpdate {
  status: string;
  message?: string;
}

/** A model and the access granted to one user on it (null: none granted). */
export interface ModelWithGrant {
  model: ModelRow;
  granted: string | null;
}

export type MigrationMode = "none" | "importing" | "exporting";

export class ModelRepo extends Repo {
  async byUuid(uuid: string): Promise<ModelRow | undefined> {
    const q = this.s.prepared("modelByUuid", (db) =>
      db
        .select()
        .from(this.t.models)
        .where(eq(this.t.models.uuid, sql.placeholder("uuid")))
        .prepare("modelByUuid"),
    );
    return first(await q.execute({ uuid }));
  }

  async byName(owner: string, name: string): Promise<ModelRow | undefined> {
    const { models } = this.t;
    const q = this.s.prepared("modelByName", (db) =>
      db
        .select()
        .from(models)
        .where(and(eq(models.owner, sql.placeholder("owner")), eq(models.name, sql.placeholder("name"))))
        .prepare("modelByName"),
    );
    return first(await q.execute({ owner, name }));
  }

  /**
   * The model `uuid` with the access granted to `user` on it, in one
   * statement: most calls name a model directly, and this answers both
   * questions of resolving it in one round trip.
   */
  async byUuidFor(uuid: string, user: string): Promise<ModelWithGrant | undefined> {
    const { models, modelUsers } = this.t;
    const q = this.s.prepared("modelByUuidFor", (db) =>
      db
        .select({ model: models, granted: modelUsers.access })
        .from(models)
        .leftJoin(modelUsers, and(eq(modelUsers.modelUuid, models.uuid), eq(modelUsers.user, sql.placeholder("user"))))
        .where(eq(models.uuid, sql.placeholder("uuid")))
        .prepare("modelByUuidFor"),
    );
    return first(await q.execute({ uuid, user }));
  }

  /** The model `owner`/`name` with the access granted to `user` on it, in one statement. */
  async byNameFor(owner: string, name: string, user: string): Promise<ModelWithGrant | undefined> {
    const { models, modelUsers } = this.t;
    const q = this.s.prepared("modelByNameFor", (db) =>
      db
        .select({ model: models, granted: modelUsers.access })
        .from(models)
        .leftJoin(modelUsers, and(eq(modelUsers.modelUuid, models.uuid), eq(modelUsers.user, sql.placeholder("user"))))
        .where(and(eq(models.owner, sql.placeholder("owner")), eq(models.name, sql.placeholder("name"))))
        .prepare("modelByNameFor"),
    );
    return first(await q.execute({ owner, name, user }));
  }

  /** Models named `name` that `user` has been granted access to (any owner). */
  async sharedByName(user: string, name: string): Promise<ModelRow[]> {
    // Prepared: it runs on every miss of a bare name, which includes every
    // stale request for a migrated model before its redirect is found.
    const { models, modelUsers } = this.t;
    const q = this.s.prepared("modelsSharedByName", (db) =>
      db
        .select({ m: models })
        .from(models)
        .innerJoin(modelUsers, eq(modelUsers.modelUuid, models.uuid))
        .where(and(eq(models.name, sql.placeholder("name")), eq(modelUsers.user, sql.placeholder("user"))))
        .prepare("modelsSharedByName"),
    );
    return (await q.execute({ name, user })).map((r) => r.m);
  }

  /**
   * Records that `user` used the model now (the "Last connection" of
   * `ferry models` and `show-model`). Only a user with a grant on the model
   * has a row to record it in; anyone else (a superuser looking in) changes
   * nothing.
   */
  async recordConnection(modelUuid: string, user: string, now: number): Promise<void> {
    const { modelUsers } = this.t;
    await this.db
      .update(modelUsers)
      .set({ lastConnectionAt: now })
      .where(and(eq(modelUsers.modelUuid, modelUuid), eq(modelUsers.user, user)));
  }

  async grantedAccess(modelUuid: string, user: string): Promise<string | undefined> {
    const { modelUsers } = this.t;
    const q = this.s.prepared("grantedAccess", (db) =>
      db
        .select({ access: modelUsers.access })
        .from(modelUsers)
        .where(
          and(eq(modelUsers.modelUuid, sql.placeholder("modelUuid")), eq(modelUsers.user, sql.placeholder("user"))),
        )
        .prepare("grantedAccess"),
    );
    return first(await q.execute({ modelUuid, user }))?.access;
  }

  /**
   * Creates a model row, gives its owner admin access, stores its initial
   * config and records its first status and a log entry. Used by
   * CreateModel and by the controller bootstrap (the "controller" model).
   */
  async create(init: NewModel): Promise<ModelRow> {
    const { models, modelUsers, modelConfig } = this.t;
    const now = init.now ?? Date.now();
    const [row] = await this.db
      .insert(models)
      .values({
        uuid: init.uuid ?? randomUUID(),
        name: init.name,
        owner: init.owner,
        cloud: init.cloud,
        cloudType: init.cloudType,
        region: init.region,
        agentVersion: init.agentVersion,
        isController: init.isController ?? false,
        statusSince: now,
        createdAt: now,
      })
      .returning();
    await this.db.insert(modelUsers).values({ modelUuid: row!.uuid, user: init.owner, access: "admin" });
    const config = Object.entries(init.config ?? {});
    if (config.length) {
      await this.db.insert(modelConfig).values(config.map(([key, value]) => ({ modelUuid: row!.uuid, key, value })));
    }
    await this.r.status.append(row!.uuid, "model", "model", row!.status, "", now);
    await this.r.logs.append(row!.uuid, {
      entity: "model",
      level: "INFO",
      module: "ferry.model",
      message: `model "${init.owner}/${init.name}" created`,
      time: now,
    });
    this.s.touch(row!.uuid, "status");
    return row!;
  }

  /**
   * One page of models ordered by owner then name; models being imported are
   * invisible. Returns up to limit + 1 rows so the caller knows if more exist.
   */
  async listPage(q: ModelPageQuery): Promise<ModelRow[]> {
    const { models, modelUsers } = this.t;
    const conds = [ne(models.migrationMode, "importing")];
    if (!q.all) {
      conds.push(
        inArray(
          models.uuid,
          this.db.select({ uuid: modelUsers.modelUuid }).from(modelUsers).where(eq(modelUsers.user, q.user)),
        ),
      );
    }
    if (q.after) {
      conds.push(
        or(gt(models.owner, q.after.owner), and(eq(models.owner, q.after.owner), gt(models.name, q.after.name)))!,
      );
    }
    return this.db
      .select()
      .from(models)
      .where(and(...conds))
      .orderBy(asc(models.owner), asc(models.name))
      .limit(q.limit + 1);
  }

  /** Machine and unit counts of the given models. */
  async counts(uuids: string[]): Promise<Map<string, ModelCounts>> {
    const { machines, units } = this.t;
    const out = new Map<string, ModelCounts>(uuids.map((u) => [u, { machines: 0, units: 0 }]));
    if (!uuids.length) return out;
    for (const r of await this.db
      .select({ uuid: machines.modelUuid, n: count() })
      .from(machines)
      .where(inArray(machines.modelUuid, uuids))
      .groupBy(machines.modelUuid)) {
      out.get(r.uuid)!.machines = r.n;
    }
    for (const r of await this.db
      .select({ uuid: units.modelUuid, n: count() })
      .from(units)
      .where(inArray(units.modelUuid, uuids))
      .groupBy(units.modelUuid)) {
      out.get(r.uuid)!.units = r.n;
    }
    return out;
  }

  /** Users with access to a model, ordered by name. */
  async users(modelUuid: string): Promise<ModelUserRow[]> {
    const { modelUsers } = this.t;
    const q = this.s.prepared("modelUsers", (db) =>
      db
        .select()
        .from(modelUsers)
        .where(eq(modelUsers.modelUuid, sql.placeholder("modelUuid")))
        .orderBy(asc(modelUsers.user))
        .prepare("modelUsers"),
    );
    return q.execute({ modelUuid });
  }

  /** Grants `access` to `user` (undefined: removes their access). */
  async setAccess(modelUuid: string, user: string, access: string | undefined): Promise<void> {
    const { modelUsers } = this.t;
    if (access === undefined) {
      await this.db.delete(modelUsers).where(and(eq(modelUsers.modelUuid, modelUuid), eq(modelUsers.user, user)));
    } else {
      await this.db
        .insert(modelUsers)
        .values({ modelUuid, user, access })
        .onConflictDoUpdate({ target: [modelUsers.modelUuid, modelUsers.user], set: { access } });
    }
    this.s.touch(modelUuid, "status");
  }

  /** Stored model config (without defaults). */
  async config(modelUuid: string): Promise<Record<string, string>> {
    const { modelConfig } = this.t;
    const rows = await this.db
      .select()
      .from(modelConfig)
      .where(eq(modelConfig.modelUuid, modelUuid))
      .orderBy(asc(modelConfig.key));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Replaces a model's stored config and bumps its generation (the etag). */
  async replaceConfig(modelUuid: string, values: Record<string, string>): Promise<number> {
    const { modelConfig, models } = this.t;
    await this.db.delete(modelConfig).where(eq(modelConfig.modelUuid, modelUuid));
    const entries = Object.entries(values);
    if (entries.length) {
      await this.db.insert(modelConfig).values(entries.map(([key, value]) => ({ modelUuid, key, value })));
    }
    const [row] = await this.db
      .update(models)
      .set({ configGeneration: sql`${models.configGeneration} + 1` })
      .where(eq(models.uuid, modelUuid))
      .returning({ g: models.configGeneration });
    this.s.touch(modelUuid, "config");
    return row?.g ?? 0;
  }

  /** Sets the model's status ("available", "busy" with a migration message); false when unchanged. */
  async setStatus(modelUuid: string, u: StatusUpdate, now: number): Promise<boolean> {
    const { models } = this.t;
    const row = await this.byUuid(modelUuid);
    const message = u.message ?? "";
    if (!row || (row.status === u.status && row.statusMessage === message)) return false;
    await this.db
      .update(models)
      .set({ status: u.status, statusMessage: message, statusSince: now })
      .where(eq(models.uuid, modelUuid));
    await this.r.status.append(modelUuid, "model", "model", u.status, message, now);
    this.s.touch(modelUuid, "status");
    return true;
  }

  /** Moves the model's migration mode, only from `from` when given; false when it was not there. */
  async setMigrationMode(modelUuid: string, to: MigrationMode, from?: MigrationMode): Promise<boolean> {
    const { models } = this.t;
    const cond = from ? and(eq(models.uuid, modelUuid), eq(models.migrationMode, from)) : eq(models.uuid, modelUuid);
    const done = await this.db.update(models).set({ migrationMode: to }).where(cond).returning({ uuid: models.uuid });
    this.s.touch(modelUuid, "status", "migration");
    return done.length > 0;
  }

  /**
   * Removes a model and everything it owns: machines, charms (with archives),
   * applications, units, relations, config, users, status history, log and
   * log transfer cursor.
   */
  async deleteAll(modelUuid: string): Promise<void> {
    const t = this.t;
    for (const table of [
      t.relationEndpoints,
      t.relations,
      t.units,
      t.applicationConfig,
      t.applications,
      t.charms,
      t.machines,
      t.modelConfig,
      t.modelUsers,
      t.statusHistory,
      t.logEntries,
      t.logTransfers,
    ]) {
      await this.db.delete(table).where(eq(table.modelUuid, modelUuid));
    }
    await this.db.delete(t.models).where(eq(t.models.uuid, modelUuid));
    this.s.touch(modelUuid, "deleted");
  }

  /** Sets the model's id counters (generated models, written in bulk). */
  async setCounters(modelUuid: string, nextMachineId: number, nextRelationId: number): Promise<void> {
    const { models } = this.t;
    await this.db.update(models).set({ nextMachineId, nextRelationId }).where(eq(models.uuid, modelUuid));
    this.s.touch(modelUuid, "status");
  }

  /**
   * Models that may have simulated work left (alive, not in a migration) and
   * that `holder` looks after or nobody does: their "model:<uuid>" lease is
   * `holder`'s, absent, or expired at `now`.
   */
  async activeUnleased(holder: string, now: number): Promise<string[]> {
    const { models, leases } = this.t;
    const rows = await this.db
      .select({ uuid: models.uuid })
      .from(models)
      .leftJoin(leases, eq(leases.name, sql`'model:' || ${models.uuid}`))
      .where(
        and(
          eq(models.life, "alive"),
          eq(models.migrationMode, "none"),
          or(isNull(leases.name), lte(leases.expiresAt, now), eq(leases.holder, holder)),
        ),
      );
    return rows.map((r) => r.uuid);
  }

  /** The controller model's UUID. */
  async controllerModelUuid(): Promise<string | undefined> {
    const { models } = this.t;
    return first(await this.db.select({ uuid: models.uuid }).from(models).where(eq(models.isController, true)).limit(1))
      ?.uuid;
  }

  /** How many models there are (backups record it). */
  async count(): Promise<number> {
    return first(await this.db.select({ n: count() }).from(this.t.models))?.n ?? 0;
  }
}
