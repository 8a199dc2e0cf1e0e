// The controller itself in the store: its identity row, the secrets its
// nodes share, the nodes serving it, and the leases that make singular work
// run on exactly one of them.
import { and, asc, eq, gt, like, lte, ne, or, sql } from "drizzle-orm";
import type { ControllerRow, LeaseRow, NodeRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

export class ControllerRepo extends Repo {
  async get(): Promise<ControllerRow | undefined> {
    const { controller } = this.t;
    return first(await this.db.select().from(controller).where(eq(controller.id, 1)));
  }

  async insert(row: Omit<ControllerRow, "id">): Promise<void> {
    await this.db.insert(this.t.controller).values({ id: 1, ...row });
  }

  async secret(name: string): Promise<string | undefined> {
    const { controllerSecrets: s } = this.t;
    return first(await this.db.select({ v: s.value }).from(s).where(eq(s.name, name)))?.v;
  }

  /** Stores a secret unless one of that name exists; returns the stored value either way. */
  async putSecret(name: string, value: string, now: number): Promise<string> {
    const { controllerSecrets: s } = this.t;
    await this.db.insert(s).values({ name, value, createdAt: now }).onConflictDoNothing({ target: s.name });
    return (await this.secret(name))!;
  }
}

export interface Lease {
  name: string;
  holder: string;
  epoch: number;
  expiresAt: number;
}

export class LeaseRepo extends Repo {
  /**
   * Takes or renews a lease for `holder` (on the database's clock): free,
   * expired, already `holder`'s, or held by an earlier incarnation of the same
   * node (`nodePrefix`, a node that restarted: it is not running any more).
   * The epoch grows whenever the holder changes. Undefined when another
   * holder has it.
   */
  async acquire(name: string, holder: string, ttlMs: number, nodePrefix?: string): Promise<Lease | undefined> {
    const { leases } = this.t;
    const now = await this.s.clock();
    const inserted = await this.db
      .insert(leases)
      .values({ name, holder, epoch: 1, acquiredAt: now, expiresAt: now + ttlMs })
      .onConflictDoNothing({ target: leases.name })
      .returning();
    if (inserted.length) return toLease(inserted[0]!);
    const takeable = [eq(leases.holder, holder), lte(leases.expiresAt, now)];
    if (nodePrefix) takeable.push(like(leases.holder, `${nodePrefix}%`));
    const [row] = await this.db
      .update(leases)
      .set({
        epoch: sql`CASE WHEN ${leases.holder} = ${holder} THEN ${leases.epoch} ELSE ${leases.epoch} + 1 END`,
        acquiredAt: sql`CASE WHEN ${leases.holder} = ${holder} THEN ${leases.acquiredAt} ELSE ${now} END`,
        holder,
        expiresAt: now + ttlMs,
      })
      .where(and(eq(leases.name, name), or(...takeable)))
      .returning();
    return row ? toLease(row) : undefined;
  }

  /**
   * Takes a lease whoever holds it, with a new epoch: for work where a newer
   * request supersedes a running one (a retried migration import), the older
   * holder's next fenced write fails.
   */
  async seize(name: string, holder: string, ttlMs: number): Promise<Lease> {
    const { leases } = this.t;
    const now = await this.s.clock();
    const [row] = await this.db
      .insert(leases)
      .values({ name, holder, epoch: 1, acquiredAt: now, expiresAt: now + ttlMs })
      .onConflictDoUpdate({
        target: leases.name,
        set: { holder, epoch: sql`${leases.epoch} + 1`, acquiredAt: now, expiresAt: now + ttlMs },
      })
      .returning();
    return toLease(row!);
  }

  /**
   * Takes over every lease held by an earlier run of the same node (holders
   * starting with `prefix`, other than `holder`), with new epochs: that run is
   * over, and its late writes, should any come, are refused.
   */
  async adopt(prefix: string, holder: string, ttlMs: number): Promise<Lease[]> {
    const { leases } = this.t;
    const now = await this.s.clock();
    const rows = await this.db
      .update(leases)
      .set({ holder, epoch: sql`${leases.epoch} + 1`, acquiredAt: now, expiresAt: now + ttlMs })
      .where(and(like(leases.holder, `${prefix}%`), ne(leases.holder, holder), gt(leases.expiresAt, 0)))
      .returning();
    return rows.map(toLease);
  }

  /** Extends every lease `holder` still has; returns them (a lease missing from the answer was lost). */
  async renewAll(holder: string, ttlMs: number): Promise<Lease[]> {
    const { leases } = this.t;
    const now = await this.s.clock();
    const rows = await this.db
      .update(leases)
      .set({ expiresAt: now + ttlMs })
      .where(eq(leases.holder, holder))
      .returning();
    return rows.map(toLease);
  }

  /**
   * Gives a lease up so another node may take it at once. The row stays (it
   * only expires): its epoch must keep growing, or a paused old holder could
   * meet its own epoch again.
   */
  async release(name: string, holder: string): Promise<void> {
    const { leases } = this.t;
    await this.db
      .update(leases)
      .set({ expiresAt: 0 })
      .where(and(eq(leases.name, name), eq(leases.holder, holder)));
  }

  async get(name: string): Promise<Lease | undefined> {
    const { leases } = this.t;
    const row = first(await this.db.select().from(leases).where(eq(leases.name, name)));
    return row ? toLease(row) : undefined;
  }

  /**
   * Whether `holder` still holds `name` at `epoch`: the fence every write made
   * for leased work passes first, in its own transaction. On PostgreSQL the
   * row is share-locked until that transaction ends, so a takeover cannot
   * commit in between.
   */
  async holds(name: string, holder: string, epoch: number): Promise<boolean> {
    const { leases } = this.t;
    const q = this.db.select({ holder: leases.holder, epoch: leases.epoch }).from(leases).where(eq(leases.name, name));
    const row = first(await (this.s.engine === "postgres" ? q.for("share") : q));
    return row !== undefined && row.holder === holder && row.epoch === epoch;
  }
}

function toLease(r: LeaseRow): Lease {
  return { name: r.name, holder: r.holder, epoch: r.epoch, expiresAt: r.expiresAt };
}

export interface NodeRegistration {
  id: string;
  incarnation: string;
  addresses: string[];
  version: string;
  hostname: string;
  pid: number;
}

export class NodeRepo extends Repo {
  /** Registers (or re-registers) a node with a fresh heartbeat; returns the database time. */
  async register(n: NodeRegistration): Promise<number> {
    const { controllerNodes: t } = this.t;
    const now = await this.s.clock();
    const values = {
      id: n.id,
      incarnation: n.incarnation,
      addresses: JSON.stringify(n.addresses),
      version: n.version,
      hostname: n.hostname,
      pid: n.pid,
      startedAt: now,
      heartbeatAt: now,
    };
    const { id: _id, ...set } = values;
    await this.db.insert(t).values(values).onConflictDoUpdate({ target: t.id, set });
    return now;
  }

  /** Moves a node's heartbeat to now; false when the row belongs to another incarnation (or is gone). */
  async heartbeat(id: string, incarnation: string): Promise<{ ok: boolean; now: number }> {
    const { controllerNodes: t } = this.t;
    const now = await this.s.clock();
    const rows = await this.db
      .update(t)
      .set({ heartbeatAt: now })
      .where(and(eq(t.id, id), eq(t.incarnation, incarnation)))
      .returning({ id: t.id });
    return { ok: rows.length > 0, now };
  }

  /** Every registered node, live or not, by id. */
  async all(): Promise<NodeRow[]> {
    const { controllerNodes: t } = this.t;
    return this.db.select().from(t).orderBy(asc(t.id));
  }

  async remove(id: string, incarnation: string): Promise<void> {
    const { controllerNodes: t } = this.t;
    await this.db.delete(t).where(and(eq(t.id, id), eq(t.incarnation, incarnation)));
  }

  /** The database's clock (ms). */
  async clock(): Promise<number> {
    return this.s.clock();
  }
}
