// Finding models by reference and reading users' access to them.
import { and, eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { models, modelUsers } from "./schema.js";

export type ModelRow = typeof models.$inferSelect;

export function findModelByUuid(db: Db, uuid: string): ModelRow | undefined {
  return db.select().from(models).where(eq(models.uuid, uuid)).get();
}

export function findModelByName(db: Db, owner: string, name: string): ModelRow | undefined {
  return db
    .select()
    .from(models)
    .where(and(eq(models.owner, owner), eq(models.name, name)))
    .get();
}

/** Models named `name` that `user` has been granted access to (any owner). */
export function findSharedModelsByName(db: Db, user: string, name: string): ModelRow[] {
  return db
    .select({ m: models })
    .from(models)
    .innerJoin(modelUsers, eq(modelUsers.modelUuid, models.uuid))
    .where(and(eq(models.name, name), eq(modelUsers.user, user)))
    .all()
    .map((r) => r.m);
}

export function getGrantedAccess(db: Db, modelUuid: string, user: string): string | undefined {
  return db
    .select({ access: modelUsers.access })
    .from(modelUsers)
    .where(and(eq(modelUsers.modelUuid, modelUuid), eq(modelUsers.user, user)))
    .get()?.access;
}
