// ModelService: relations between application endpoints.
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import type { CharmEndpointDef } from "../domain/charms.js";
import {
  checkRelationLimits,
  inferRelation,
  parseEndpointRef,
  relationMatches,
  type EndpointRef,
} from "../domain/relations.js";
import { findApplication } from "../store/app-repo.js";
import type { Db } from "../store/db.js";
import {
  countEndpointRelations,
  deleteRelation,
  findRelationByKey,
  insertRelation,
  listRelations,
} from "../store/relation-repo.js";
import { relationKey } from "../domain/relations.js";
import { alreadyExists, badField, failedPrecondition, ferryError, invalidArgument, notFound } from "./errors.js";
import { toRelation } from "./model-mapping.js";
import { charmOf } from "./model-service-charms.js";
import { clock, liveModel, modelFor, published, type ModelServiceDeps } from "./model-service-support.js";

function parseRefs(endpoints: string[]): EndpointRef[] {
  const problems: { field: string; description: string }[] = [];
  const refs: EndpointRef[] = [];
  endpoints.forEach((text, i) => {
    const r = parseEndpointRef(text);
    if (typeof r === "string") problems.push({ field: `endpoints[${i}]`, description: r });
    else refs.push(r);
  });
  if (problems.length) throw invalidArgument(problems);
  return refs;
}

function endpointsOf(db: Db, modelUuid: string) {
  return (app: string): CharmEndpointDef[] | undefined => {
    const row = findApplication(db, modelUuid, app);
    return row ? charmOf(db, modelUuid, row.charmUrl).meta.endpoints : undefined;
  };
}

type RelationHandlers = Pick<ServiceImpl<typeof ModelService>, "addRelation" | "removeRelation">;

export function relationHandlers(deps: ModelServiceDeps): RelationHandlers {
  const { store, simulator } = deps;
  return {
    addRelation(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      if (req.endpoints.length !== 2) {
        throw badField(
          "endpoints",
          `name exactly two endpoints ("app" or "app:endpoint"), got ${req.endpoints.length}`,
        );
      }
      const refs = parseRefs(req.endpoints);
      const relation = store.tx((db) => {
        liveModel(db, model.uuid);
        const inferred = inferRelation(refs, endpointsOf(db, model.uuid));
        if ("kind" in inferred) {
          if (inferred.kind === "application-not-found")
            throw notFound(`application "${inferred.application}"`, "APPLICATION_NOT_FOUND");
          throw badField("endpoints", inferred.message);
        }
        const key = relationKey(inferred.endpoints);
        if (findRelationByKey(db, model.uuid, key))
          throw alreadyExists(`relation "${key}" already exists`, "RELATION_EXISTS");
        const overLimit = checkRelationLimits(inferred.endpoints, (e) =>
          countEndpointRelations(db, model.uuid, e.application, e.name),
        );
        if (overLimit) {
          throw failedPrecondition("RELATION_LIMIT_EXCEEDED", overLimit, [
            { type: "RELATION_LIMIT_EXCEEDED", subject: key, description: overLimit },
          ]);
        }
        return insertRelation(db, model.uuid, inferred.endpoints, clock(deps));
      });
      published(deps, model.uuid, "status", "log");
      simulator.schedule(model.uuid);
      return { relation: toRelation(relation) };
    },

    removeRelation(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const refs = req.endpoints.length ? parseRefs(req.endpoints) : undefined;
      if (refs && refs.length !== 2) {
        throw badField(
          "endpoints",
          `name two endpoints ("app" or "app:endpoint") or give relation_id, got ${refs.length}`,
        );
      }
      store.tx((db) => {
        liveModel(db, model.uuid);
        const all = listRelations(db, model.uuid);
        let rel;
        if (refs) {
          const matches = all.filter(
            (r) =>
              r.endpoints.length === 2 &&
              relationMatches(
                refs,
                r.endpoints.map((e) => ({ application: e.application, name: e.endpoint })),
              ),
          );
          const spec = req.endpoints.join(" ");
          if (matches.length === 0) throw notFound(`relation matching "${spec}"`, "RELATION_NOT_FOUND");
          if (matches.length > 1) {
            throw badField(
              "endpoints",
              `ambiguous relation: "${spec}" could refer to ${matches.map((m) => `"${m.key}"`).join("; ")}`,
            );
          }
          rel = matches[0]!;
        } else {
          rel = all.find((r) => r.id === req.relationId);
          if (!rel) throw notFound(`relation ${req.relationId}`, "RELATION_NOT_FOUND");
        }
        if (rel.endpoints.length === 1 && rel.endpoints[0]!.role === "peer") {
          throw ferryError(Code.FailedPrecondition, "PEER_RELATION", `cannot remove peer relation "${rel.key}"`);
        }
        deleteRelation(db, model.uuid, rel, clock(deps));
      });
      published(deps, model.uuid, "status", "log");
      return {};
    },
  };
}
