// Redirect records: what this controller keeps about a model after it
// migrated away, so stale requests get told where the model lives now. The
// lookups run only on the not-found path of model resolution, and each is one
// indexed read (primary key, or the owner/name index).
import { and, desc, eq, sql } from "drizzle-orm";
import type { RedirectRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

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

function parseList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : [];
  } catch {
    return [];
  }
}

export function redirectUsers(r: Pick<RedirectRow, "users">): string[] {
  return parseList(r.users);
}

export function redirectAddresses(r: Pick<RedirectRow, "addresses">): string[] {
  return parseList(r.addresses);
}

export class RedirectRepo extends Repo {
  /**
   * Writes (or replaces) the redirect of a model. Replacing matters when a
   * model comes back and leaves again (A -> B -> A -> C): the newest
   * destination wins, so A points at C rather than at B.
   */
  async put(r: NewRedirect): Promise<void> {
    const { modelRedirects } = this.t;
    const values = {
      ...r,
      addresses: JSON.stringify(r.addresses),
      users: JSON.stringify([...new Set(r.users)].sort()),
    };
    await this.db
      .insert(modelRedirects)
      .values(values)
      .onConflictDoUpdate({ target: modelRedirects.modelUuid, set: values });
  }

  async byUuid(modelUuid: string): Promise<RedirectRow | undefined> {
    const { modelRedirects } = this.t;
    const q = this.s.prepared("redirectByUuid", (db) =>
      db
        .select()
        .from(modelRedirects)
        .where(eq(modelRedirects.modelUuid, sql.placeholder("u")))
        .prepare("redirectByUuid"),
    );
    return first(await q.execute({ u: modelUuid }));
  }

  async byName(owner: string, name: string): Promise<RedirectRow | undefined> {
    const { modelRedirects } = this.t;
    const q = this.s.prepared("redirectByName", (db) =>
      db
        .select()
        .from(modelRedirects)
        .where(
          and(eq(modelRedirects.modelOwner, sql.placeholder("o")), eq(modelRedirects.modelName, sql.placeholder("n"))),
        )
        // Two models may have had this name over time (one migrated away, a new
        // one created and migrated too): the newest record is where it lives now.
        .orderBy(desc(modelRedirects.migratedAt))
        .limit(1)
        .prepare("redirectByName"),
    );
    return first(await q.execute({ o: owner, n: name }));
  }

  /** Redirects of models with this short name, any owner, newest first (bare names shared with the caller). */
  async byShortName(name: string): Promise<RedirectRow[]> {
    const { modelRedirects } = this.t;
    const q = this.s.prepared("redirectsByShortName", (db) =>
      db
        .select()
        .from(modelRedirects)
        .where(eq(modelRedirects.modelName, sql.placeholder("n")))
        .orderBy(desc(modelRedirects.migratedAt))
        .prepare("redirectsByShortName"),
    );
    return q.execute({ n: name });
  }

  /**
   * Removes a model's redirect: called when this controller receives the model
   * back (on activation of the import), so the live model is found again and
   * the chain A -> B -> A collapses.
   */
  async delete(modelUuid: string): Promise<boolean> {
    const { modelRedirects } = this.t;
    const done = await this.db
      .delete(modelRedirects)
      .where(eq(modelRedirects.modelUuid, modelUuid))
      .returning({ u: modelRedirects.modelUuid });
    return done.length > 0;
  }
}
