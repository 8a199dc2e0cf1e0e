// Relations and their endpoints.
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { AppEndpoint } from "../../domain/relations.js";
import { relationKey, relationScope, sortEndpoints } from "../../domain/relations.js";
import type { RelationEndpointRow, RelationWithEndpoints } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";
import type { StatusUpdate } from "./models.js";

export class RelationRepo extends Repo {
  async findByKey(modelUuid: string, key: string): Promise<RelationWithEndpoints | undefined> {
    const { relations, relationEndpoints } = this.t;
    const row = first(
      await this.db
        .select()
        .from(relations)
        .where(and(eq(relations.modelUuid, modelUuid), eq(relations.key, key))),
    );
    if (!row) return undefined;
    const eps = await this.db
      .select()
      .from(relationEndpoints)
      .where(and(eq(relationEndpoints.modelUuid, modelUuid), eq(relationEndpoints.relationId, row.id)))
      .orderBy(asc(relationEndpoints.application), asc(relationEndpoints.endpoint));
    return { ...row, endpoints: eps };
  }

  /** Every relation of a model with its endpoints, by id. */
  async list(modelUuid: string): Promise<RelationWithEndpoints[]> {
    const { relations, relationEndpoints } = this.t;
    const rels = await this.s
      .prepared("relations", (db) =>
        db
          .select()
          .from(relations)
          .where(eq(relations.modelUuid, sql.placeholder("m")))
          .orderBy(asc(relations.id))
          .prepare("relations"),
      )
      .execute({ m: modelUuid });
    const eps = await this.s
      .prepared("relationEndpoints", (db) =>
        db
          .select()
          .from(relationEndpoints)
          .where(eq(relationEndpoints.modelUuid, sql.placeholder("m")))
          // Primary-key order on both engines (without it PostgreSQL returns rows as stored).
          .orderBy(
            asc(relationEndpoints.relationId),
            asc(relationEndpoints.application),
            asc(relationEndpoints.endpoint),
          )
          .prepare("relationEndpoints"),
      )
      .execute({ m: modelUuid });
    const byId = new Map<number, RelationEndpointRow[]>();
    for (const e of eps) {
      const list = byId.get(e.relationId) ?? [];
      list.push(e);
      byId.set(e.relationId, list);
    }
    return rels.map((r) => ({ ...r, endpoints: byId.get(r.id) ?? [] }));
  }

  /** How many relations an application endpoint takes part in. */
  async countForEndpoint(modelUuid: string, application: string, endpoint: string): Promise<number> {
    const { relationEndpoints } = this.t;
    const row = first(
      await this.db
        .select({ n: count() })
        .from(relationEndpoints)
        .where(
          and(
            eq(relationEndpoints.modelUuid, modelUuid),
            eq(relationEndpoints.application, application),
            eq(relationEndpoints.endpoint, endpoint),
          ),
        ),
    );
    return row?.n ?? 0;
  }

  /** Creates a relation ("joining") between the given endpoints, with an id from the model's counter. */
  async insert(modelUuid: string, eps: AppEndpoint[], now: number): Promise<RelationWithEndpoints> {
    const { models, relations, relationEndpoints } = this.t;
    const [model] = await this.db
      .update(models)
      .set({ nextRelationId: sql`${models.nextRelationId} + 1` })
      .where(eq(models.uuid, modelUuid))
      .returning({ next: models.nextRelationId });
    if (!model) throw new Error(`model ${modelUuid} not found`);
    const id = model.next - 1;
    const sorted = sortEndpoints(eps);
    const key = relationKey(sorted);
    const [row] = await this.db
      .insert(relations)
      .values({
        modelUuid,
        id,
        key,
        interface: sorted[0]!.interface,
        scope: relationScope(sorted),
        status: "joining",
        statusSince: now,
      })
      .returning();
    const epRows = sorted.map((e) => ({
      modelUuid,
      relationId: id,
      application: e.application,
      endpoint: e.name,
      role: e.role,
      interface: e.interface,
    }));
    await this.db.insert(relationEndpoints).values(epRows);
    await this.r.status.append(modelUuid, `relation-${id}`, "relation", "joining", "", now);
    await this.r.logs.append(modelUuid, {
      entity: "model",
      level: "INFO",
      module: "ferry.relations",
      message: `relation ${id} "${key}" added`,
      time: now,
    });
    this.s.touch(modelUuid, "status");
    return { ...row!, endpoints: epRows };
  }

  async delete(modelUuid: string, rel: { id: number; key: string }, now: number): Promise<void> {
    const { relations, relationEndpoints } = this.t;
    await this.db
      .delete(relationEndpoints)
      .where(and(eq(relationEndpoints.modelUuid, modelUuid), eq(relationEndpoints.relationId, rel.id)));
    await this.db.delete(relations).where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, rel.id)));
    await this.r.status.append(modelUuid, `relation-${rel.id}`, "relation", "broken", "relation removed", now);
    await this.r.logs.append(modelUuid, {
      entity: "model",
      level: "INFO",
      module: "ferry.relations",
      message: `relation ${rel.id} "${rel.key}" removed`,
      time: now,
    });
    this.s.touch(modelUuid, "status");
  }

  async setStatus(modelUuid: string, id: number, u: StatusUpdate, now: number): Promise<boolean> {
    const { relations } = this.t;
    const row = first(
      await this.db
        .select()
        .from(relations)
        .where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, id))),
    );
    const message = u.message ?? "";
    if (!row || (row.status === u.status && row.statusMessage === message)) return false;
    await this.db
      .update(relations)
      .set({ status: u.status, statusMessage: message, statusSince: now })
      .where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, id)));
    await this.r.status.append(modelUuid, `relation-${id}`, "relation", u.status, message, now);
    this.s.touch(modelUuid, "status");
    return true;
  }
}
