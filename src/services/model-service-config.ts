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
import { findApplication, getApplicationConfig, replaceApplicationConfig } from "../store/app-repo.js";
import type { Db } from "../store/db.js";
import { findModelByUuid } from "../store/access-repo.js";
import { appendLogEntry } from "../store/log-repo.js";
import { getModelConfig, replaceModelConfig } from "../store/model-repo.js";
import { badField, invalidArgument, notFound } from "./errors.js";
import { toConfigMap } from "./model-mapping.js";
import { charmOf } from "./model-service-charms.js";
import {
  clock,
  etagMismatch,
  liveModel,
  modelFor,
  published,
  readTx,
  type ModelServiceDeps,
} from "./model-service-support.js";

/** Problems from set go to "set.<key>", those from unset to "unset". */
function updateProblems(problems: ConfigProblems, set: Record<string, string>) {
  return invalidArgument(
    problems.map((p) => ({ field: p.key in set ? `set.${p.key}` : "unset", description: p.description })),
  );
}

function appOrThrow(db: Db, modelUuid: string, name: string) {
  const bad = validateApplicationName(name);
  if (bad) throw badField("application", bad);
  const app = findApplication(db, modelUuid, name);
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
    getApplicationConfig(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "read");
      return readTx(store, (db) => {
        const app = appOrThrow(db, model.uuid, req.application);
        const charm = charmOf(db, model.uuid, app.charmUrl);
        const view = charmConfigView(charm.meta.config, getApplicationConfig(db, model.uuid, app.name));
        return { config: toConfigMap(view), etag: String(app.configGeneration) };
      });
    },

    updateApplicationConfig(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const result = store.tx((db) => {
        liveModel(db, model.uuid);
        const app = appOrThrow(db, model.uuid, req.application);
        const current = String(app.configGeneration);
        if (req.etag && req.etag !== current)
          throw etagMismatch(`config of application "${app.name}"`, req.etag, current);
        const charm = charmOf(db, model.uuid, app.charmUrl);
        const values = getApplicationConfig(db, model.uuid, app.name);
        let etag = current;
        if (Object.keys(req.set).length || req.unset.length) {
          const applied = applyCharmConfig(charm.meta.config, values, req.set, req.unset);
          if ("problems" in applied) throw updateProblems(applied.problems, req.set);
          etag = String(replaceApplicationConfig(db, model.uuid, app.name, applied.values));
          appendLogEntry(db, model.uuid, {
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
      if (result.changed) published(deps, model.uuid, "config", "log");
      return { config: toConfigMap(result.config), etag: result.etag };
    },

    getModelConfig(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "read");
      return readTx(store, (db) => {
        const view = modelConfigView(
          { name: model.name, uuid: model.uuid, type: "iaas" },
          getModelConfig(db, model.uuid),
        );
        // A read: it keeps working while the model is exporting (migrating) or dying.
        const row = findModelByUuid(db, model.uuid);
        if (!row) throw notFound(`model ${model.uuid}`, "MODEL_NOT_FOUND");
        return { config: toConfigMap(view), etag: String(row.configGeneration) };
      });
    },

    updateModelConfig(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const result = store.tx((db) => {
        const row = liveModel(db, model.uuid);
        const current = String(row.configGeneration);
        if (req.etag && req.etag !== current) throw etagMismatch(`config of model "${row.name}"`, req.etag, current);
        let values = getModelConfig(db, model.uuid);
        let etag = current;
        const changed = Object.keys(req.set).length > 0 || req.unset.length > 0;
        if (changed) {
          const applied = applyModelConfig(values, req.set, req.unset);
          if ("problems" in applied) throw updateProblems(applied.problems, req.set);
          values = applied.values;
          etag = String(replaceModelConfig(db, model.uuid, values));
          appendLogEntry(db, model.uuid, {
            entity: "model",
            level: "INFO",
            module: "ferry.config",
            message: `model config changed: ${changedKeys(req.set, req.unset)}`,
            time: clock(deps),
          });
        }
        return { view: modelConfigView({ name: row.name, uuid: row.uuid, type: "iaas" }, values), etag, changed };
      });
      if (result.changed) published(deps, model.uuid, "config", "log");
      return { config: toConfigMap(result.view), etag: result.etag };
    },
  };
}
