// Users and bearer tokens.
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { ControllerAccessLevel } from "../domain/access.js";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import { modelUsers, tokens, users } from "./schema.js";

export type UserRow = typeof users.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;

export function getUser(db: Db, name: string): UserRow | undefined {
  return prepared(db, "getUser", (d) =>
    d
      .select()
      .from(users)
      .where(eq(users.name, sql.placeholder("name")))
      .prepare(),
  ).get({ name });
}

export function insertUser(
  db: Db,
  u: {
    name: string;
    displayName?: string;
    passwordHash: string | null;
    access: ControllerAccessLevel;
    createdBy: string;
    now: number;
  },
): UserRow {
  return db
    .insert(users)
    .values({
      name: u.name,
      displayName: u.displayName ?? "",
      passwordHash: u.passwordHash,
      access: u.access,
      createdBy: u.createdBy,
      createdAt: u.now,
    })
    .returning()
    .get();
}

/** Users ordered by name, starting after `after`. */
export function listUsers(db: Db, after: string, limit: number): UserRow[] {
  return db.select().from(users).where(gt(users.name, after)).orderBy(asc(users.name)).limit(limit).all();
}

export function setPasswordHash(db: Db, name: string, hash: string): void {
  db.update(users).set({ passwordHash: hash }).where(eq(users.name, name)).run();
}

export function setControllerAccess(db: Db, name: string, access: ControllerAccessLevel): void {
  db.update(users).set({ access }).where(eq(users.name, name)).run();
}

export function recordLogin(db: Db, name: string, now: number): void {
  db.update(users).set({ lastLoginAt: now }).where(eq(users.name, name)).run();
}

export function insertToken(
  db: Db,
  t: {
    hash: string;
    kind: string;
    user: string;
    modelUuid?: string;
    sourceControllerUuid?: string;
    now: number;
    expiresAt: number;
  },
): void {
  db.insert(tokens)
    .values({
      hash: t.hash,
      kind: t.kind,
      user: t.user,
      modelUuid: t.modelUuid ?? null,
      sourceControllerUuid: t.sourceControllerUuid ?? null,
      createdAt: t.now,
      expiresAt: t.expiresAt,
    })
    .run();
}

export function getToken(db: Db, hash: string): TokenRow | undefined {
  return prepared(db, "getToken", (d) =>
    d
      .select()
      .from(tokens)
      .where(eq(tokens.hash, sql.placeholder("hash")))
      .prepare(),
  ).get({ hash });
}

export function deleteToken(db: Db, hash: string): void {
  db.delete(tokens).where(eq(tokens.hash, hash)).run();
}

/** Moves a token's expiry to at least `expiresAt` (never shortens it). */
export function extendToken(db: Db, hash: string, expiresAt: number): void {
  db.update(tokens)
    .set({ expiresAt })
    .where(and(eq(tokens.hash, hash), lt(tokens.expiresAt, expiresAt)))
    .run();
}

/** Revokes every user token of `user` except `keep` (after a password change). */
export function deleteUserTokens(db: Db, user: string, keep?: string): void {
  const rows = db
    .select({ hash: tokens.hash })
    .from(tokens)
    .where(and(eq(tokens.user, user), eq(tokens.kind, "user")))
    .all();
  for (const r of rows) if (r.hash !== keep) deleteToken(db, r.hash);
}

export function deleteExpiredTokens(db: Db, now: number): number {
  return db.delete(tokens).where(lt(tokens.expiresAt, now)).run().changes;
}

export function setModelAccess(db: Db, modelUuid: string, user: string, access: string | undefined): void {
  if (access === undefined) {
    db.delete(modelUsers)
      .where(and(eq(modelUsers.modelUuid, modelUuid), eq(modelUsers.user, user)))
      .run();
    return;
  }
  db.insert(modelUsers)
    .values({ modelUuid, user, access })
    .onConflictDoUpdate({ target: [modelUsers.modelUuid, modelUsers.user], set: { access } })
    .run();
}
