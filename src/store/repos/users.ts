// Users and bearer tokens (stored only as SHA-256 hashes).
import { and, asc, eq, gt, lt, ne, sql } from "drizzle-orm";
import type { ControllerAccessLevel } from "../../domain/access.js";
import type { TokenRow, UserRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

export interface NewUser {
  name: string;
  displayName?: string;
  passwordHash: string | null;
  access: ControllerAccessLevel;
  createdBy: string;
  now: number;
}

export interface NewToken {
  hash: string;
  kind: "user" | "migration" | "agent";
  user: string;
  modelUuid?: string;
  sourceControllerUuid?: string;
  now: number;
  expiresAt: number;
}

export class UserRepo extends Repo {
  async get(name: string): Promise<UserRow | undefined> {
    const { users } = this.t;
    const q = this.s.prepared("user", (db) =>
      db
        .select()
        .from(users)
        .where(eq(users.name, sql.placeholder("name")))
        .prepare("user"),
    );
    return first(await q.execute({ name }));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.get(name)) !== undefined;
  }

  async insert(u: NewUser): Promise<UserRow> {
    const [row] = await this.db
      .insert(this.t.users)
      .values({
        name: u.name,
        displayName: u.displayName ?? "",
        passwordHash: u.passwordHash,
        access: u.access,
        createdBy: u.createdBy,
        createdAt: u.now,
      })
      .returning();
    return row!;
  }

  /** Users ordered by name, starting after `after`. */
  async list(after: string, limit: number): Promise<UserRow[]> {
    const { users } = this.t;
    return this.db.select().from(users).where(gt(users.name, after)).orderBy(asc(users.name)).limit(limit);
  }

  async setPasswordHash(name: string, hash: string): Promise<void> {
    const { users } = this.t;
    await this.db.update(users).set({ passwordHash: hash }).where(eq(users.name, name));
  }

  async setControllerAccess(name: string, access: ControllerAccessLevel): Promise<void> {
    const { users } = this.t;
    await this.db.update(users).set({ access }).where(eq(users.name, name));
  }

  async recordLogin(name: string, now: number): Promise<void> {
    const { users } = this.t;
    await this.db.update(users).set({ lastLoginAt: now }).where(eq(users.name, name));
  }
}

export class TokenRepo extends Repo {
  async insert(t: NewToken): Promise<void> {
    await this.db.insert(this.t.tokens).values({
      hash: t.hash,
      kind: t.kind,
      user: t.user,
      modelUuid: t.modelUuid ?? null,
      sourceControllerUuid: t.sourceControllerUuid ?? null,
      createdAt: t.now,
      expiresAt: t.expiresAt,
    });
  }

  async get(hash: string): Promise<TokenRow | undefined> {
    const { tokens } = this.t;
    const q = this.s.prepared("token", (db) =>
      db
        .select()
        .from(tokens)
        .where(eq(tokens.hash, sql.placeholder("hash")))
        .prepare("token"),
    );
    return first(await q.execute({ hash }));
  }

  /** The token and, for a user's token, its user, in one statement (every authenticated call asks both). */
  async getWithUser(hash: string): Promise<{ token: TokenRow; user: UserRow | null } | undefined> {
    const { tokens, users } = this.t;
    const q = this.s.prepared("tokenWithUser", (db) =>
      db
        .select({ token: tokens, user: users })
        .from(tokens)
        .leftJoin(users, and(eq(users.name, tokens.user), eq(tokens.kind, "user")))
        .where(eq(tokens.hash, sql.placeholder("hash")))
        .prepare("tokenWithUser"),
    );
    return first(await q.execute({ hash }));
  }

  async delete(hash: string): Promise<void> {
    const { tokens } = this.t;
    await this.db.delete(tokens).where(eq(tokens.hash, hash));
  }

  /** Moves a token's expiry to at least `expiresAt` (never shortens it). */
  async extend(hash: string, expiresAt: number): Promise<void> {
    const { tokens } = this.t;
    await this.db
      .update(tokens)
      .set({ expiresAt })
      .where(and(eq(tokens.hash, hash), lt(tokens.expiresAt, expiresAt)));
  }

  /** Revokes every user token of `user` except `keep` (after a password change). */
  async deleteUserTokens(user: string, keep?: string): Promise<void> {
    const { tokens } = this.t;
    const conds = [eq(tokens.user, user), eq(tokens.kind, "user")];
    if (keep) conds.push(ne(tokens.hash, keep));
    await this.db.delete(tokens).where(and(...conds));
  }

  /** Removes expired tokens; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const { tokens } = this.t;
    return (await this.db.delete(tokens).where(lt(tokens.expiresAt, now)).returning({ hash: tokens.hash })).length;
  }
}
