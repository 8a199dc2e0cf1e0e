// ModelService: application and model config, read-modify-write with etags
// (AIP-154): the etag is the config's generation counter, and an update that
// names a stale etag is refused with ABORTED instead of overwriting a change
// the caller never saw.
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import {
  applyCharmConfig,
  applyModelConfig,
  charmConfigView,
  modelConfigView,
  type ConfigProblems,
} from "../domain/config.js";
import { validateApplicationName } from "../domain/names.js";
import type { Repos } from "../store/index.js";
import { badField, invalidArgument, notFound } from "./errors.js";
import { toConfigMap } from "./model-mapping.js";
import { charmOf } from "./model-service-charms.js";
import { clock, etagMismatch, liveModel, modelFor, type ModelServiceDeps } from "./model-service-support.js";

/** Problems from set go to "set.<key>", those from unset to "unset". */
function updateProblems(problems: ConfigProblems, set: Record<string, string>) {
  return invalidArgument(
    problems.map((p) => ({
      // "" is the whole config (too many keys or bytes), which `set` is making.
      field: p.key === "" ? "set" : p.key in set ? `set.${p.key}` : "unset",
      description: p.description,
    })),
  );
}

async function appOrThrow(tx: Repos, modelUuid: string, name: string) {
  const bad = validateApplicationName(name);
  if (bad) throw badField("application", bad);
  const app = await tx.applications.find(modelUuid, name);
  if (!app) throw notFound(`application "${name}"`, "APPLICATION_NOT_FOUND");
  return app;
}

function changedKeys(set: Record<string, string>, unset: string[]): string {
  return [...Object.keys(set), ...unset].sort().join(", ");
}

type ConfigHandlers = Pick<
  ServiceImpl<typeof ModelService>,
  "getApplicationConfig" | "updateApplicationConfig" | "getModelConfig" | "updateModelConfig"
>;

export function configHandlers(deps: ModelServiceDeps): ConfigHandlers {
  const { store } = deps;
  return {
    async getApplicationConfig(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "read");
      return store.read(async (tx) => {
        const app = await appOrThrow(tx, model.uuid, req.application);
        const charm = await charmOf(tx, model.uuid, app.charmUrl);
        const view = charmConfigView(charm.meta.config, await tx.applications.config(model.uuid, app.name));
        return { config: toConfigMap(view), etag: String(app.configGeneration) };
      });
    },

    async updateApplicationConfig(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      const result = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const app = await appOrThrow(tx, model.uuid, req.application);
        const current = String(app.configGeneration);
        if (req.etag && req.etag !== current)
          throw etagMismatch(`config of application "${app.name}"`, req.etag, current);
        const charm = await charmOf(tx, model.uuid, app.charmUrl);
        const values = await tx.applications.config(model.uuid, app.name);
        let etag = current;
        if (Object.keys(req.set).length || req.unset.length) {
          const applied = applyCharmConfig(charm.meta.config, values, req.set, req.unset);
          if ("problems" in applied) throw updateProblems(applied.problems, req.set);
          etag = String(await tx.applications.replaceConfig(model.uuid, app.name, applied.values));
          await tx.logs.append(model.uuid, {
            entity: `application-${app.name}`,
            level: "INFO",
            module: "ferry.config",
            message: `config of ${app.name} changed: ${changedKeys(req.set, req.unset)}`,
            time: clock(deps),
          });
          return { config: charmConfigView(charm.meta.config, applied.values), etag, changed: true };
        }
        return { config: charmConfigView(charm.meta.config, values), etag, changed: false };
      });
      return { config: toConfigMap(result.config), etag: result.etag };
    },

    async getModelConfig(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "read");
      return store.read(async (tx) => {
        const view = modelConfigView(
          { name: model.name, uuid: model.uuid, type: "iaas" },
          await tx.models.config(model.uuid),
        );
        // A read: it keeps working while the model is exporting (migrating) or dying.
        const row = await tx.models.byUuid(model.uuid);
        if (!row) throw notFound(`model ${model.uuid}`, "MODEL_NOT_FOUND");
        return { config: toConfigMap(view), etag: String(row.configGeneration) };
      });
    },

    async updateModelConfig(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      const result = await store.write(async (tx) => {
        const row = await liveModel(tx, model.uuid);
        const current = String(row.configGeneration);
        if (req.etag && req.etag !== current) throw etagMismatch(`config of model "${row.name}"`, req.etag, current);
        let values = await tx.models.config(model.uuid);
        let etag = current;
        const changed = Object.keys(req.set).length > 0 || req.unset.length > 0;
        if (changed) {
          const applied = applyModelConfig(values, req.set, req.unset);
          if ("problems" in applied) throw updateProblems(applied.problems, req.set);
          values = applied.values;
          etag = String(await tx.models.replaceConfig(model.uuid, values));
          await tx.logs.append(model.uuid, {
            entity: "model",
            level: "INFO",
            module: "ferry.config",
            message: `model config changed: ${changedKeys(req.set, req.unset)}`,
            time: clock(deps),
          });
        }
        return { view: modelConfigView({ name: row.name, uuid: row.uuid, type: "iaas" }, values), etag, changed };
      });
      return { config: toConfigMap(result.view), etag: result.etag };
    },
  };
}
