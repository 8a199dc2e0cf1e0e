// Relations and their endpoints.
import { and, count, eq } from "drizzle-orm";
import type { AppEndpoint } from "../domain/relations.js";
import { relationKey, relationScope, sortEndpoints } from "../domain/relations.js";
import type { Db } from "./db.js";
import { appendLogEntry } from "./log-repo.js";
import { models, relationEndpoints, relations } from "./schema.js";
import { appendStatusHistory, listRelationsWithEndpoints, type RelationWithEndpoints } from "./status-repo.js";

export type { RelationWithEndpoints };

export function findRelationByKey(db: Db, modelUuid: string, key: string): RelationWithEndpoints | undefined {
  const row = db
    .select()
    .from(relations)
    .where(and(eq(relations.modelUuid, modelUuid), eq(relations.key, key)))
    .get();
  if (!row) return undefined;
  const eps = db
    .select()
    .from(relationEndpoints)
    .where(and(eq(relationEndpoints.modelUuid, modelUuid), eq(relationEndpoints.relationId, row.id)))
    .all();
  return { ...row, endpoints: eps };
}

export { listRelationsWithEndpoints as listRelations };

/** How many relations an application endpoint takes part in. */
export function countEndpointRelations(db: Db, modelUuid: string, application: string, endpoint: string): number {
  return (
    db
      .select({ n: count() })
      .from(relationEndpoints)
      .where(
        and(
          eq(relationEndpoints.modelUuid, modelUuid),
          eq(relationEndpoints.application, application),
          eq(relationEndpoints.endpoint, endpoint),
        ),
      )
      .get()?.n ?? 0
  );
}

/**
 * Creates a relation ("joining") between the given endpoints, with an id
 * from the model's counter. Call inside store.tx.
 */
export function insertRelation(db: Db, modelUuid: string, eps: AppEndpoint[], now: number): RelationWithEndpoints {
  const model = db.select({ next: models.nextRelationId }).from(models).where(eq(models.uuid, modelUuid)).get();
  if (!model) throw new Error(`model ${modelUuid} not found`);
  const id = model.next;
  db.update(models)
    .set({ nextRelationId: id + 1 })
    .where(eq(models.uuid, modelUuid))
    .run();
  const sorted = sortEndpoints(eps);
  const key = relationKey(sorted);
  const row = db
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
    .returning()
    .get();
  const epRows = sorted.map((e) => ({
    modelUuid,
    relationId: id,
    application: e.application,
    endpoint: e.name,
    role: e.role,
    interface: e.interface,
  }));
  db.insert(relationEndpoints).values(epRows).run();
  appendStatusHistory(db, modelUuid, `relation-${id}`, "relation", "joining", "", now);
  appendLogEntry(db, modelUuid, {
    entity: "model",
    level: "INFO",
    module: "ferry.relations",
    message: `relation ${id} "${key}" added`,
    time: now,
  });
  return { ...row, endpoints: epRows };
}

export function deleteRelation(db: Db, modelUuid: string, rel: { id: number; key: string }, now: number): void {
  db.delete(relationEndpoints)
    .where(and(eq(relationEndpoints.modelUuid, modelUuid), eq(relationEndpoints.relationId, rel.id)))
    .run();
  db.delete(relations)
    .where(and(eq(relations.modelUuid, modelUuid), eq(relations.id, rel.id)))
    .run();
  appendStatusHistory(db, modelUuid, `relation-${rel.id}`, "relation", "broken", "relation removed", now);
  appendLogEntry(db, modelUuid, {
    entity: "model",
    level: "INFO",
    module: "ferry.relations",
    message: `relation ${rel.id} "${rel.key}" removed`,
    time: now,
  });
}
