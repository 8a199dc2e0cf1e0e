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
import type { Repos } from "../store/index.js";
import { relationKey } from "../domain/relations.js";
import { alreadyExists, badField, failedPrecondition, ferryError, invalidArgument, notFound } from "./errors.js";
import { toRelation } from "./model-mapping.js";
import { charmOf } from "./model-service-charms.js";
import { clock, liveModel, modelFor, type ModelServiceDeps } from "./model-service-support.js";

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

/** The charm endpoints of the named applications (relation inference is pure, so it gets them up front). */
async function endpointsOf(
  tx: Repos,
  modelUuid: string,
  apps: string[],
): Promise<(app: string) => CharmEndpointDef[] | undefined> {
  const byApp = new Map<string, CharmEndpointDef[]>();
  for (const name of new Set(apps)) {
    const row = await tx.applications.find(modelUuid, name);
    if (row) byApp.set(name, (await charmOf(tx, modelUuid, row.charmUrl)).meta.endpoints);
  }
  return (app) => byApp.get(app);
}

type RelationHandlers = Pick<ServiceImpl<typeof ModelService>, "addRelation" | "removeRelation">;

export function relationHandlers(deps: ModelServiceDeps): RelationHandlers {
  const { store, simulator } = deps;
  return {
    async addRelation(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      if (req.endpoints.length !== 2) {
        throw badField(
          "endpoints",
          `name exactly two endpoints ("app" or "app:endpoint"), got ${req.endpoints.length}`,
        );
      }
      const refs = parseRefs(req.endpoints);
      const relation = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const inferred = inferRelation(
          refs,
          await endpointsOf(
            tx,
            model.uuid,
            refs.map((r) => r.application),
          ),
        );
        if ("kind" in inferred) {
          if (inferred.kind === "application-not-found")
            throw notFound(`application "${inferred.application}"`, "APPLICATION_NOT_FOUND");
          throw badField("endpoints", inferred.message);
        }
        const key = relationKey(inferred.endpoints);
        if (await tx.relations.findByKey(model.uuid, key))
          throw alreadyExists(`relation "${key}" already exists`, "RELATION_EXISTS");
        const used = new Map<string, number>();
        for (const e of inferred.endpoints) {
          used.set(
            `${e.application}:${e.name}`,
            await tx.relations.countForEndpoint(model.uuid, e.application, e.name),
          );
        }
        const overLimit = checkRelationLimits(inferred.endpoints, (e) => used.get(`${e.application}:${e.name}`) ?? 0);
        if (overLimit) {
          throw failedPrecondition("RELATION_LIMIT_EXCEEDED", overLimit, [
            { type: "RELATION_LIMIT_EXCEEDED", subject: key, description: overLimit },
          ]);
        }
        return tx.relations.insert(model.uuid, inferred.endpoints, clock(deps));
      });
      simulator.schedule(model.uuid);
      return { relation: toRelation(relation) };
    },

    async removeRelation(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      const refs = req.endpoints.length ? parseRefs(req.endpoints) : undefined;
      if (refs && refs.length !== 2) {
        throw badField(
          "endpoints",
          `name two endpoints ("app" or "app:endpoint") or give relation_id, got ${refs.length}`,
        );
      }
      await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const all = await tx.relations.list(model.uuid);
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
        await tx.relations.delete(model.uuid, rel, clock(deps));
      });
      return {};
    },
  };
}
