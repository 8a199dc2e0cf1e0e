// Status history of every entity, and a model's whole state read in one go
// for a full status (the hot read path: every query is prepared).
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { ApplicationRow, MachineRow, ModelRow, RelationWithEndpoints, UnitRow } from "../rows.js";
import { Repo } from "./base.js";
import type { AgentLinkRow } from "./agents.js";

export type StatusKind = "model" | "agent" | "instance" | "workload" | "relation" | "report";

export interface StatusHistoryRow {
  entity: string;
  kind: string;
  status: string;
  message: string;
  since: number;
}

/** A charm as status needs it (no archive bytes). */
export interface CharmSummaryRow {
  url: string;
  name: string;
  revision: number;
}

/** Everything a full status shows, from one snapshot. */
export interface ModelSnapshot {
  model: ModelRow;
  machines: MachineRow[];
  applications: ApplicationRow[];
  units: UnitRow[];
  relations: RelationWithEndpoints[];
  charms: Map<string, CharmSummaryRow>;
  /** Agents' connections to this controller, by tag. */
  links: Map<string, AgentLinkRow>;
}

/** How long a silent node's agent connections still count (the longest lease time). */
const NODE_LIVENESS_MS = 15_000;

export class StatusRepo extends Repo {
  async append(
    modelUuid: string,
    entity: string,
    kind: StatusKind,
    status: string,
    message: string,
    since: number,
  ): Promise<void> {
    await this.db.insert(this.t.statusHistory).values({ modelUuid, entity, kind, status, message, since });
    this.s.touch(modelUuid, "status");
  }

  /** The status history of one entity ("machine-0", "unit-wordpress-0", "model"), oldest first. */
  async history(modelUuid: string, entity: string): Promise<StatusHistoryRow[]> {
    const { statusHistory: h } = this.t;
    return this.db
      .select({ entity: h.entity, kind: h.kind, status: h.status, message: h.message, since: h.since })
      .from(h)
      .where(and(eq(h.modelUuid, modelUuid), eq(h.entity, entity)))
      .orderBy(asc(h.id));
  }

  /** One page of an entity's status history, newest first. */
  async page(
    modelUuid: string,
    entity: string,
    opts: { kinds: string[]; limit: number; beforeId: number },
  ): Promise<{ rows: (StatusHistoryRow & { id: number; seq: number | null })[]; more: boolean }> {
    const { statusHistory: h } = this.t;
    const conds = [eq(h.modelUuid, modelUuid), eq(h.entity, entity)];
    if (opts.kinds.length) conds.push(inArray(h.kind, opts.kinds));
    if (opts.beforeId > 0) conds.push(lt(h.id, opts.beforeId));
    const rows = await this.db
      .select({
        id: h.id,
        entity: h.entity,
        kind: h.kind,
        status: h.status,
        message: h.message,
        since: h.since,
        seq: h.seq,
      })
      .from(h)
      .where(and(...conds))
      .orderBy(desc(h.id))
      .limit(opts.limit + 1);
    return { rows: rows.slice(0, opts.limit), more: rows.length > opts.limit };
  }

  /** Reads a model's state (call inside one read); undefined when the model no longer exists. */
  async snapshot(modelUuid: string): Promise<ModelSnapshot | undefined> {
    const model = await this.r.models.byUuid(modelUuid);
    if (!model) return undefined;
    const { charms } = this.t;
    const charmRows = await this.s
      .prepared("snapshotCharms", (db) =>
        db
          .select({ url: charms.url, name: charms.name, revision: charms.revision })
          .from(charms)
          .where(eq(charms.modelUuid, sql.placeholder("m")))
          .prepare("snapshotCharms"),
      )
      .execute({ m: modelUuid });
    return {
      model,
      machines: await this.r.machines.list(modelUuid),
      applications: await this.r.applications.list(modelUuid),
      units: await this.r.units.list(modelUuid),
      relations: await this.r.relations.list(modelUuid),
      charms: new Map(charmRows.map((c) => [c.url, c])),
      links: new Map(
        (await this.r.agents.links(modelUuid, (await this.s.clock()) - NODE_LIVENESS_MS)).map((l) => [l.tag, l]),
      ),
    };
  }
}
