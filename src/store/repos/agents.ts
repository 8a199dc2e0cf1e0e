// Machine and unit agents: their credentials (password hashes, which travel
// with the model), their status, and which of them are connected now (kept
// in the store, so any node of a controller knows the agents connected to
// the others).
import { and, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { Repo } from "./base.js";
import type { StatusUpdate } from "./models.js";

/** An agent tag: "machine-<id>" or "unit-<application>-<number>". */
export type AgentEntity = { kind: "machine"; id: string } | { kind: "unit"; name: string };

export function parseAgentTag(tag: string): AgentEntity | undefined {
  let m = /^machine-(\d+)$/.exec(tag);
  if (m) return { kind: "machine", id: m[1]! };
  m = /^unit-([a-z][a-z0-9-]*)-(\d+)$/.exec(tag);
  if (m) return { kind: "unit", name: `${m[1]}/${m[2]}` };
  return undefined;
}

export class AgentRepo extends Repo {
  /** The stored password hash of an agent: null when it has none, undefined when the entity does not exist. */
  async passwordHash(modelUuid: string, tag: string): Promise<string | null | undefined> {
    const e = parseAgentTag(tag);
    if (!e) return undefined;
    return e.kind === "machine"
      ? this.r.machines.passwordHash(modelUuid, e.id)
      : this.r.units.passwordHash(modelUuid, e.name);
  }

  /** Sets an agent's password hash; false when the entity does not exist. */
  async setPassword(modelUuid: string, tag: string, hash: string): Promise<boolean> {
    const e = parseAgentTag(tag);
    if (!e) return false;
    return e.kind === "machine"
      ? this.r.machines.setPasswordHash(modelUuid, e.id, hash)
      : this.r.units.setPasswordHash(modelUuid, e.name, hash);
  }

  /** Sets the agent status of the agent's entity; false when unchanged or missing. */
  async setStatus(modelUuid: string, tag: string, u: StatusUpdate, now: number): Promise<boolean> {
    const e = parseAgentTag(tag);
    if (!e) return false;
    return e.kind === "machine"
      ? this.r.machines.setStatus(modelUuid, e.id, "agent", u, now)
      : this.r.units.setStatus(modelUuid, e.name, "agent", u, now);
  }

  /** Records one open connection (a migration-status watch) of an agent, served by `nodeId`. */
  async connect(c: { id: string; modelUuid: string; tag: string; nodeId: string; now: number }): Promise<void> {
    await this.db
      .insert(this.t.agentPresence)
      .values({ id: c.id, modelUuid: c.modelUuid, tag: c.tag, nodeId: c.nodeId, connectedAt: c.now });
  }

  async disconnect(id: string): Promise<void> {
    const { agentPresence } = this.t;
    await this.db.delete(agentPresence).where(eq(agentPresence.id, id));
  }

  /** Forgets every connection a node recorded (it is starting again, or it is gone). */
  async disconnectNode(nodeId: string): Promise<void> {
    const { agentPresence } = this.t;
    await this.db.delete(agentPresence).where(eq(agentPresence.nodeId, nodeId));
  }

  /**
   * The agents of a model connected now, sorted, with when each connected:
   * only connections served by a node whose heartbeat is newer than `aliveAfter`.
   */
  async connected(modelUuid: string, aliveAfter: number): Promise<{ tag: string; since: number }[]> {
    const { agentPresence: p, controllerNodes: n } = this.t;
    const rows = await this.db
      .select({ tag: p.tag, since: sql<number>`min(${p.connectedAt})`.mapWith(Number) })
      .from(p)
      .innerJoin(n, eq(n.id, p.nodeId))
      .where(and(eq(p.modelUuid, modelUuid), gt(n.heartbeatAt, aliveAfter)))
      .groupBy(p.tag)
      .orderBy(p.tag);
    return rows;
  }

  /** Records that an agent connected through `nodeId` (serving at `address`). */
  async link(c: { modelUuid: string; tag: string; nodeId: string; address: string; now: number }): Promise<void> {
    const { agentLinks: l } = this.t;
    await this.db
      .insert(l)
      .values({
        modelUuid: c.modelUuid,
        tag: c.tag,
        nodeId: c.nodeId,
        address: c.address,
        connectedAt: c.now,
        seenAt: c.now,
      })
      .onConflictDoUpdate({
        target: [l.modelUuid, l.tag],
        set: { nodeId: c.nodeId, address: c.address, connectedAt: c.now, seenAt: c.now },
      });
    this.s.touch(c.modelUuid, "workload");
  }

  /** Models with agents that ever connected to this controller. */
  async linkedModels(): Promise<string[]> {
    const { agentLinks: l } = this.t;
    const rows = await this.db.selectDistinct({ m: l.modelUuid }).from(l);
    return rows.map((r) => r.m);
  }

  /** Records that these agents were heard from now. */
  async seen(modelUuid: string, tags: string[], now: number): Promise<void> {
    if (!tags.length) return;
    const { agentLinks: l } = this.t;
    await this.db
      .update(l)
      .set({ seenAt: now })
      .where(and(eq(l.modelUuid, modelUuid), inArray(l.tag, tags)));
    this.s.touch(modelUuid, "workload");
  }

  /** Every agent's last connection to this controller, and whether it is connected now. */
  async links(modelUuid: string, aliveAfter: number): Promise<AgentLinkRow[]> {
    const { agentLinks: l } = this.t;
    const rows = await this.db.select().from(l).where(eq(l.modelUuid, modelUuid));
    const now = new Set((await this.connected(modelUuid, aliveAfter)).map((c) => c.tag));
    return rows.map((r) => ({
      tag: r.tag,
      nodeId: r.nodeId,
      address: r.address,
      connectedAt: r.connectedAt,
      seenAt: r.seenAt,
      connected: now.has(r.tag),
    }));
  }

  /**
   * Agents that are down: they have credentials, are not connected now
   * (to a live node), and were last heard from before `silentBefore` (an
   * agent never heard from here counts from `silentBefore`'s grace, the
   * caller's: it is left alone). Only machines shown "started" and units
   * shown "idle" or "executing" (the others are not up yet, or down already).
   */
  async silent(
    modelUuid: string,
    silentBefore: number,
    aliveAfter: number,
  ): Promise<{ machines: string[]; units: string[] }> {
    const { agentLinks: l, machines, units } = this.t;
    const connected = new Set((await this.connected(modelUuid, aliveAfter)).map((c) => c.tag));
    const stale = await this.db
      .select({ tag: l.tag })
      .from(l)
      .where(and(eq(l.modelUuid, modelUuid), lt(l.seenAt, silentBefore)));
    const tags = stale.map((r) => r.tag).filter((t) => !connected.has(t));
    if (!tags.length) return { machines: [], units: [] };
    const ms = tags.flatMap((t) => {
      const e = parseAgentTag(t);
      return e?.kind === "machine" ? [e.id] : [];
    });
    const us = tags.flatMap((t) => {
      const e = parseAgentTag(t);
      return e?.kind === "unit" ? [e.name] : [];
    });
    const downMachines = ms.length
      ? await this.db
          .select({ id: machines.id })
          .from(machines)
          .where(and(eq(machines.modelUuid, modelUuid), inArray(machines.id, ms), eq(machines.agentStatus, "started")))
      : [];
    const lostUnits = us.length
      ? await this.db
          .select({ name: units.name })
          .from(units)
          .where(
            and(
              eq(units.modelUuid, modelUuid),
              inArray(units.name, us),
              inArray(units.agentStatus, ["idle", "executing"]),
            ),
          )
      : [];
    return { machines: downMachines.map((m) => m.id), units: lostUnits.map((u) => u.name) };
  }

  /**
   * Stores a unit's workload reports (in sequence order): those above its
   * last sequence number become its last report and each a "report" row of
   * its status history; the rest were stored before (a resend). Returns the
   * last sequence number stored; undefined when the unit does not exist.
   */
  async recordWorkload(
    modelUuid: string,
    unit: string,
    reports: readonly { seq: number; counter: number; time: number }[],
  ): Promise<number | undefined> {
    // The hot path of live agents (every unit, every second): prepared statements.
    const { units, statusHistory } = this.t;
    const [row] = await this.s
      .prepared("workloadSeq", (db) =>
        db
          .select({ seq: units.workloadSeq })
          .from(units)
          .where(and(eq(units.modelUuid, sql.placeholder("m")), eq(units.name, sql.placeholder("u"))))
          .prepare("workloadSeq"),
      )
      .execute({ m: modelUuid, u: unit });
    if (!row) return undefined;
    let last = row.seq;
    const fresh = [];
    for (const r of reports) {
      if (r.seq <= last) continue;
      fresh.push(r);
      last = r.seq;
    }
    if (!fresh.length) return last;
    const newest = fresh[fresh.length - 1]!;
    await this.s
      .prepared("workloadSet", (db) =>
        db
          .update(units)
          .set({
            workloadSeq: sql`${sql.placeholder("seq")}`,
            workloadCounter: sql`${sql.placeholder("counter")}`,
            workloadAt: sql`${sql.placeholder("at")}`,
          })
          .where(and(eq(units.modelUuid, sql.placeholder("m")), eq(units.name, sql.placeholder("u"))))
          .prepare("workloadSet"),
      )
      .execute({ m: modelUuid, u: unit, seq: newest.seq, counter: newest.counter, at: newest.time });
    const entity = `unit-${unit.replace("/", "-")}`;
    const insert = this.s.prepared("workloadHistory", (db) =>
      db
        .insert(statusHistory)
        .values({
          modelUuid: sql.placeholder("m"),
          entity: sql.placeholder("e"),
          kind: "report",
          status: "reported",
          message: sql.placeholder("msg"),
          since: sql.placeholder("since"),
          seq: sql.placeholder("seq"),
        })
        .prepare("workloadHistory"),
    );
    for (const r of fresh)
      await insert.execute({
        m: modelUuid,
        e: entity,
        msg: `workload report ${r.seq}: counter ${r.counter}`,
        since: r.time,
        seq: r.seq,
      });
    this.s.touch(modelUuid, "workload");
    return last;
  }
}

export interface AgentLinkRow {
  tag: string;
  nodeId: string;
  address: string;
  connectedAt: number;
  seenAt: number;
  connected: boolean;
}
