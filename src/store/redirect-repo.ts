// Redirect records: what this controller keeps about a model after it
// migrated away, so stale requests get told where the model lives now. The
// lookups run only on the not-found path of model resolution, and each is one
// indexed read (primary key, or the owner/name index).
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { prepared } from "./prepared.js";
import { modelRedirects } from "./schema.js";

export type RedirectRow = typeof modelRedirects.$inferSelect;

export interface NewRedirect {
  modelUuid: string;
  modelName: string;
  modelOwner: string;
  migrationId: string;
  controllerUuid: string;
  controllerName: string;
  addresses: string[];
  caCert: string;
  /** Every user who had access to the model when it left. */
  users: string[];
  migratedAt: number;
}

/**
 * Writes (or replaces) the redirect of a model. Replacing matters when a
 * model comes back and leaves again (A -> B -> A -> C): the newest
 * destination wins, so A points at C rather than at B.
 */
export function putRedirect(db: Db, r: NewRedirect): void {
  const values = { ...r, addresses: JSON.stringify(r.addresses), users: JSON.stringify([...new Set(r.users)].sort()) };
  db.insert(modelRedirects).values(values).onConflictDoUpdate({ target: modelRedirects.modelUuid, set: values }).run();
}

export function findRedirectByUuid(db: Db, modelUuid: string): RedirectRow | undefined {
  return prepared(db, "findRedirectByUuid", (d) =>
    d
      .select()
      .from(modelRedirects)
      .where(eq(modelRedirects.modelUuid, sql.placeholder("u")))
      .prepare(),
  ).get({ u: modelUuid });
}

export function findRedirectByName(db: Db, owner: string, name: string): RedirectRow | undefined {
  return prepared(db, "findRedirectByName", (d) =>
    d
      .select()
      .from(modelRedirects)
      .where(
        and(eq(modelRedirects.modelOwner, sql.placeholder("o")), eq(modelRedirects.modelName, sql.placeholder("n"))),
      )
      // Two models may have had this name over time (one migrated away, a new
      // one created and migrated too): the newest record is where it lives now.
      .orderBy(desc(modelRedirects.migratedAt))
      .limit(1)
      .prepare(),
  ).get({ o: owner, n: name });
}

/** Redirects of models with this short name, any owner, newest first (bare names shared with the caller). */
export function findRedirectsByShortName(db: Db, name: string): RedirectRow[] {
  return prepared(db, "findRedirectsByShortName", (d) =>
    d
      .select()
      .from(modelRedirects)
      .where(eq(modelRedirects.modelName, sql.placeholder("n")))
      .orderBy(desc(modelRedirects.migratedAt))
      .prepare(),
  ).all({ n: name });
}

/**
 * Removes a model's redirect: called when this controller receives the model
 * back (on activation of the import), so the live model is found again and
 * the chain A -> B -> A collapses.
 */
export function deleteRedirect(db: Db, modelUuid: string): boolean {
  return db.delete(modelRedirects).where(eq(modelRedirects.modelUuid, modelUuid)).run().changes > 0;
}

export function redirectUsers(r: Pick<RedirectRow, "users">): string[] {
  try {
    const v: unknown = JSON.parse(r.users);
    return Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : [];
  } catch {
    return [];
  }
}

export function redirectAddresses(r: Pick<RedirectRow, "addresses">): string[] {
  try {
    const v: unknown = JSON.parse(r.addresses);
    return Array.isArray(v) ? v.filter((a): a is string => typeof a === "string") : [];
  } catch {
    return [];
  }
}
