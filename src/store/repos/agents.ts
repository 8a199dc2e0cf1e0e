// Machine and unit agents: their credentials (password hashes, which travel
// with the model), their status, and which of them are connected now (kept
// in the store, so any node of a controller knows the agents connected to
// the others).
import { and, eq, gt, sql } from "drizzle-orm";
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
}
