// ModelService: creating, listing, reading and destroying models.
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { controllerAccessIncludes, effectiveModelAccess, isModelAccess } from "../domain/access.js";
import { applyModelConfig } from "../domain/config.js";
import { validateModelName, validateUserName } from "../domain/names.js";
import { isUniqueViolation } from "../store/index.js";
import { principalOf, userOf } from "./context.js";
import { resolveModel } from "./model-access.js";
import { alreadyExists, badField, failedPrecondition, notFound, permissionDenied } from "./errors.js";
import { toModel } from "./model-mapping.js";
import {
  clock,
  configProblems,
  describeModel,
  liveModel,
  modelFor,
  recordConnection,
  visibleUsers,
  type ModelServiceDeps,
} from "./model-service-support.js";

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

function encodePageToken(owner: string, name: string): string {
  return Buffer.from(JSON.stringify([owner, name]), "utf8").toString("base64url");
}

function decodePageToken(token: string): { owner: string; name: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") {
      return { owner: v[0], name: v[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw badField("page_token", "not a token returned by ListModels: start again without it");
}

type ModelHandlers = Pick<ServiceImpl<typeof ModelService>, "createModel" | "listModels" | "getModel" | "deleteModel">;

export function modelHandlers(deps: ModelServiceDeps): ModelHandlers {
  const { store, controller } = deps;

  return {
    async createModel(req, ctx) {
      const p = userOf(ctx);
      if (!controllerAccessIncludes(p.controllerAccess, "add-model")) {
        throw permissionDenied("permission denied: add-model access to the controller required");
      }
      const badName = validateModelName(req.name);
      if (badName) throw badField("name", badName);
      const owner = req.owner || p.user;
      if (owner !== p.user) {
        if (p.controllerAccess !== "superuser") {
          throw permissionDenied("permission denied: only superusers may create models for other users");
        }
        const badOwner = validateUserName(owner);
        if (badOwner) throw badField("owner", badOwner);
        if (!(await store.read((tx) => tx.users.exists(owner)))) throw notFound(`user "${owner}"`, "USER_NOT_FOUND");
      }
      const region = req.region || controller.region;
      if (controller.regions.length && !controller.regions.includes(region)) {
        throw badField(
          "region",
          `region "${region}" not available in cloud "${controller.cloud}": use one of ${controller.regions.join(", ")}`,
        );
      }
      const config = applyModelConfig({}, req.config);
      if ("problems" in config) throw configProblems("config", config.problems);
      let row;
      try {
        row = await store.write(async (tx) => {
          if (await tx.models.byName(owner, req.name))
            throw alreadyExists(`model "${owner}/${req.name}" already exists`);
          return tx.models.create({
            name: req.name,
            owner,
            cloud: controller.cloud,
            cloudType: controller.cloudType,
            region,
            agentVersion: controller.version,
            config: config.values,
            now: clock(deps),
          });
        });
      } catch (err) {
        // Two creates racing past the check meet the unique index instead.
        if (isUniqueViolation(err)) throw alreadyExists(`model "${owner}/${req.name}" already exists`);
        throw err;
      }
      deps.log?.info("model created", { model: `${owner}/${req.name}`, uuid: row.uuid, by: p.user });
      // The caller is the owner (admin) or a superuser (admin on every model).
      const created = row;
      return { model: await store.read((tx) => describeModel(deps, tx, created, p.user, "admin")) };
    },

    async listModels(req, ctx) {
      const p = userOf(ctx);
      if (req.all && p.controllerAccess !== "superuser") {
        throw permissionDenied("permission denied: only superusers may list all models");
      }
      if (req.pageSize < 0) throw badField("page_size", "must not be negative");
      const limit = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const after = req.pageToken ? decodePageToken(req.pageToken) : undefined;
      return store.read(async (tx) => {
        const rows = await tx.models.listPage({ user: p.user, all: req.all, after, limit });
        const page = rows.slice(0, limit);
        const counts = await tx.models.counts(page.map((m) => m.uuid));
        const models = [];
        for (const row of page) {
          const granted = await tx.models.grantedAccess(row.uuid, p.user);
          const access =
            effectiveModelAccess(p.controllerAccess, granted && isModelAccess(granted) ? granted : undefined) ?? "read";
          models.push(
            toModel(row, {
              controller,
              counts: counts.get(row.uuid),
              users: visibleUsers(await tx.models.users(row.uuid), access, p.user),
              access,
              migration: await deps.migrationSummary?.(tx, row.uuid),
            }),
          );
        }
        const last = page[page.length - 1];
        const nextPageToken = rows.length > limit && last ? encodePageToken(last.owner, last.name) : "";
        return { models, nextPageToken };
      });
    },

    async getModel(req, ctx) {
      const p = principalOf(ctx);
      // One read: the model as resolved and as described are the same snapshot.
      return {
        model: await store.read(async (tx) => {
          const { model, access } = await resolveModel(tx, p, req.model, "read");
          if (p.kind === "user") recordConnection(deps, model, p.user);
          return describeModel(deps, tx, model, p.user, access);
        }),
      };
    },

    async deleteModel(req, ctx) {
      const { model, principal } = await modelFor(deps, ctx, req.model, "admin", true);
      if (model.isController) {
        throw failedPrecondition("CONTROLLER_MODEL", "the controller model cannot be destroyed");
      }
      await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        await tx.models.deleteAll(model.uuid);
      });
      deps.log?.info("model destroyed", {
        model: `${model.owner}/${model.name}`,
        uuid: model.uuid,
        by: principal.user,
      });
      return {};
    },
  };
}
