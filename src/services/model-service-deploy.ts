// ModelService: machines, applications and units. Every request is one
// transaction; the simulator then provisions what was added.
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { applyCharmConfig, defaultBase } from "../domain/config.js";
import { parseUnitName, validateApplicationName, validateMachineId } from "../domain/names.js";
import { peerRelationsFor } from "../domain/relations.js";
import { Messages } from "../domain/status.js";
import {
  electLeader,
  findApplication,
  findUnit,
  insertApplication,
  insertUnits,
  listUnits,
  markUnitDying,
  type ApplicationRow,
} from "../store/app-repo.js";
import type { Db } from "../store/db.js";
import { findMachine, insertMachines, listMachines, type BaseSpec } from "../store/machine-repo.js";
import { getModelConfig } from "../store/model-repo.js";
import { insertRelation } from "../store/relation-repo.js";
import { setUnitStatus } from "../store/status-repo.js";
import { alreadyExists, badField, ferryError, invalidArgument, notFound } from "./errors.js";
import { toApplication, toMachine, toUnit } from "./model-mapping.js";
import { charmOf, resolveCharmForDeploy } from "./model-service-charms.js";
import {
  clock,
  configProblems,
  countField,
  liveModel,
  modelFor,
  published,
  type ModelServiceDeps,
} from "./model-service-support.js";

const BASE_NAME_RE = /^[a-z]+$/;
const BASE_CHANNEL_RE = /^\d+(\.\d+)?$/;

/** Machines for `count` new units: the first on `to` when given, the rest new. */
function placeUnits(db: Db, modelUuid: string, count: number, to: string, base: BaseSpec, now: number): string[] {
  const ids: string[] = [];
  if (to) {
    const m = findMachine(db, modelUuid, to);
    if (!m || m.life !== "alive") throw notFound(`machine "${to}"`, "MACHINE_NOT_FOUND");
    ids.push(m.id);
  }
  const fresh = insertMachines(db, modelUuid, count - ids.length, base, now);
  return [...ids, ...fresh.map((m) => m.id)];
}

function checkPlacement(to: string): void {
  if (!to) return;
  const bad = validateMachineId(to);
  if (bad) throw badField("to", bad);
}

function applicationMessage(db: Db, modelUuid: string, app: ApplicationRow) {
  const charm = charmOf(db, modelUuid, app.charmUrl);
  const addresses = new Map(listMachines(db, modelUuid).map((m) => [m.id, m.dnsName]));
  return toApplication(
    app,
    { name: charm.meta.name, revision: charm.revision },
    listUnits(db, modelUuid, app.name),
    (id) => addresses.get(id) ?? "",
  );
}

type DeployHandlers = Pick<
  ServiceImpl<typeof ModelService>,
  "addMachines" | "deployApplication" | "addUnits" | "removeUnits"
>;

export function deployHandlers(deps: ModelServiceDeps): DeployHandlers {
  const { store, simulator } = deps;
  return {
    addMachines(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const count = countField("count", req.count);
      let base: BaseSpec | undefined;
      if (req.base && (req.base.name || req.base.channel)) {
        if (!BASE_NAME_RE.test(req.base.name))
          throw badField("base.name", `"${req.base.name}" is not a valid OS name, e.g. "ubuntu"`);
        if (!BASE_CHANNEL_RE.test(req.base.channel)) {
          throw badField("base.channel", `"${req.base.channel}" is not a valid channel, e.g. "24.04"`);
        }
        base = { name: req.base.name, channel: req.base.channel };
      }
      const machines = store.tx((db) => {
        liveModel(db, model.uuid);
        return insertMachines(db, model.uuid, count, base ?? defaultBase(getModelConfig(db, model.uuid)), clock(deps));
      });
      published(deps, model.uuid, "status", "log");
      simulator.schedule(model.uuid);
      return { machines: machines.map(toMachine) };
    },

    deployApplication(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const numUnits = countField("num_units", req.numUnits);
      checkPlacement(req.to);
      if (req.application) {
        const bad = validateApplicationName(req.application);
        if (bad) throw badField("application", bad);
      }
      const application = store.tx((db) => {
        liveModel(db, model.uuid);
        const now = clock(deps);
        const charm = resolveCharmForDeploy(db, model.uuid, req.charm, now);
        const name = req.application || charm.meta.name;
        if (findApplication(db, model.uuid, name)) {
          throw alreadyExists(`application "${name}" already exists in model "${model.name}"`);
        }
        const config = applyCharmConfig(charm.meta.config, {}, req.config);
        if ("problems" in config) throw configProblems("config", config.problems);
        const base = defaultBase(getModelConfig(db, model.uuid));
        const machineIds = placeUnits(db, model.uuid, numUnits, req.to, base, now);
        const app = insertApplication(db, model.uuid, { name, charmUrl: charm.url, base, config: config.values }, now);
        insertUnits(db, model.uuid, name, machineIds, now);
        // Peers relate an application's own units; the reference creates them at deploy.
        for (const eps of peerRelationsFor(name, charm.meta.endpoints)) insertRelation(db, model.uuid, eps, now);
        return applicationMessage(db, model.uuid, app);
      });
      published(deps, model.uuid, "status", "log");
      simulator.schedule(model.uuid);
      deps.log?.info("application deployed", { model: model.uuid, application: application.name, units: numUnits });
      return { application };
    },

    addUnits(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      const count = countField("count", req.count);
      const badApp = validateApplicationName(req.application);
      if (badApp) throw badField("application", badApp);
      checkPlacement(req.to);
      const units = store.tx((db) => {
        liveModel(db, model.uuid);
        const now = clock(deps);
        const app = findApplication(db, model.uuid, req.application);
        if (!app) throw notFound(`application "${req.application}"`, "APPLICATION_NOT_FOUND");
        if (app.life !== "alive") {
          throw ferryError(
            Code.FailedPrecondition,
            "APPLICATION_NOT_ALIVE",
            `application "${app.name}" is ${app.life}`,
          );
        }
        const machineIds = placeUnits(
          db,
          model.uuid,
          count,
          req.to,
          { name: app.baseName, channel: app.baseChannel },
          now,
        );
        const rows = insertUnits(db, model.uuid, app.name, machineIds, now);
        const addresses = new Map(listMachines(db, model.uuid).map((m) => [m.id, m.dnsName]));
        return rows.map((u) => toUnit(u, addresses.get(u.machineId) ?? ""));
      });
      published(deps, model.uuid, "status", "log");
      simulator.schedule(model.uuid);
      return { units };
    },

    removeUnits(req, ctx) {
      const { model } = modelFor(deps, ctx, req.model, "write", true);
      if (!req.units.length) throw badField("units", 'name at least one unit, e.g. "wordpress/0"');
      const problems = req.units
        .map((name, i) => ({ name, i, parsed: parseUnitName(name) }))
        .filter((u) => typeof u.parsed === "string")
        .map((u) => ({ field: `units[${u.i}]`, description: u.parsed as string }));
      if (problems.length) throw invalidArgument(problems);
      const names = [...new Set(req.units)];
      store.tx((db) => {
        liveModel(db, model.uuid);
        const now = clock(deps);
        const rows = names.map((n) => ({ n, row: findUnit(db, model.uuid, n) }));
        const missing = rows.filter((r) => !r.row).map((r) => r.n);
        if (missing.length) {
          throw ferryError(
            Code.NotFound,
            "UNIT_NOT_FOUND",
            `unit${missing.length > 1 ? "s" : ""} not found: ${missing.join(", ")}`,
          );
        }
        const apps = new Set<string>();
        for (const { row } of rows) {
          if (!row || row.life !== "alive") continue; // already being removed: nothing more to do
          markUnitDying(db, model.uuid, row.name, now);
          setUnitStatus(db, model.uuid, row.name, "agent", { status: "executing", message: Messages.stopping }, now);
          apps.add(row.application);
        }
        // Leadership moves at once, as it does when the reference's leader unit goes away.
        for (const app of apps) electLeader(db, model.uuid, app);
      });
      published(deps, model.uuid, "status", "log");
      simulator.schedule(model.uuid);
      return {};
    },
  };
}
