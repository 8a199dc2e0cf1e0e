// Finding models by reference and reading users' access to them.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import { models, modelUsers } from "./schema.js";

export type ModelRow = typeof models.$inferSelect;

export function findModelByUuid(db: Db, uuid: string): ModelRow | undefined {
  return prepared(db, "findModelByUuid", (d) =>
    d
      .select()
      .from(models)
      .where(eq(models.uuid, sql.placeholder("uuid")))
      .prepare(),
  ).get({ uuid });
}

export function findModelByName(db: Db, owner: string, name: string): ModelRow | undefined {
  return prepared(db, "findModelByName", (d) =>
    d
      .select()
      .from(models)
      .where(and(eq(models.owner, sql.placeholder("owner")), eq(models.name, sql.placeholder("name"))))
      .prepare(),
  ).get({ owner, name });
}

/** Models named `name` that `user` has been granted access to (any owner). */
export function findSharedModelsByName(db: Db, user: string, name: string): ModelRow[] {
  // Prepared: it runs on every miss of a bare name, which includes every stale
  // request for a migrated model before its redirect is found.
  return prepared(db, "findSharedModelsByName", (d) =>
    d
      .select({ m: models })
      .from(models)
      .innerJoin(modelUsers, eq(modelUsers.modelUuid, models.uuid))
      .where(and(eq(models.name, sql.placeholder("name")), eq(modelUsers.user, sql.placeholder("user"))))
      .prepare(),
  )
    .all({ name, user })
    .map((r) => r.m);
}

export function getGrantedAccess(db: Db, modelUuid: string, user: string): string | undefined {
  return prepared(db, "getGrantedAccess", (d) =>
    d
      .select({ access: modelUsers.access })
      .from(modelUsers)
      .where(and(eq(modelUsers.modelUuid, sql.placeholder("modelUuid")), eq(modelUsers.user, sql.placeholder("user"))))
      .prepare(),
  ).get({ modelUuid, user })?.access;
}
