// ModelService: machines, applications and units. Every request is one
// transaction; the simulator then provisions what was added.
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { applyCharmConfig, defaultBase } from "../domain/config.js";
import { parseUnitName, validateApplicationName, validateMachineId } from "../domain/names.js";
import { peerRelationsFor } from "../domain/relations.js";
import type { ApplicationRow, BaseSpec, Repos } from "../store/index.js";
import { alreadyExists, badField, ferryError, invalidArgument, notFound } from "./errors.js";
import { toApplication, toMachine, toUnit } from "./model-mapping.js";
import { charmOf, resolveCharmForDeploy } from "./model-service-charms.js";
import { removeUnit } from "./model-service-remove.js";
import {
  clock,
  configProblems,
  countField,
  liveModel,
  modelFor,
  type ModelServiceDeps,
} from "./model-service-support.js";

const BASE_NAME_RE = /^[a-z]+$/;
const BASE_CHANNEL_RE = /^\d+(\.\d+)?$/;

/** Machines for `count` new units: the first on `to` when given, the rest new. */
async function placeUnits(
  tx: Repos,
  modelUuid: string,
  count: number,
  to: string,
  base: BaseSpec,
  now: number,
): Promise<string[]> {
  const ids: string[] = [];
  if (to) {
    const m = await tx.machines.find(modelUuid, to);
    if (!m || m.life !== "alive") throw notFound(`machine "${to}"`, "MACHINE_NOT_FOUND");
    ids.push(m.id);
  }
  const fresh = await tx.machines.insert(modelUuid, count - ids.length, base, now);
  return [...ids, ...fresh.map((m) => m.id)];
}

function checkPlacement(to: string): void {
  if (!to) return;
  const bad = validateMachineId(to);
  if (bad) throw badField("to", bad);
}

async function applicationMessage(tx: Repos, modelUuid: string, app: ApplicationRow) {
  const charm = await charmOf(tx, modelUuid, app.charmUrl);
  const addresses = new Map((await tx.machines.list(modelUuid)).map((m) => [m.id, m.dnsName]));
  return toApplication(
    app,
    { name: charm.meta.name, revision: charm.revision },
    await tx.units.list(modelUuid, app.name),
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
    async addMachines(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
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
      const machines = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const b = base ?? defaultBase(await tx.models.config(model.uuid));
        return tx.machines.insert(model.uuid, count, b, clock(deps));
      });
      simulator.schedule(model.uuid);
      return { machines: machines.map((m) => toMachine(m)) };
    },

    async deployApplication(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      const numUnits = countField("num_units", req.numUnits);
      checkPlacement(req.to);
      if (req.application) {
        const bad = validateApplicationName(req.application);
        if (bad) throw badField("application", bad);
      }
      const application = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const now = clock(deps);
        const charm = await resolveCharmForDeploy(tx, model.uuid, req.charm, now);
        const name = req.application || charm.meta.name;
        if (await tx.applications.find(model.uuid, name)) {
          throw alreadyExists(`application "${name}" already exists in model "${model.name}"`);
        }
        const config = applyCharmConfig(charm.meta.config, {}, req.config);
        if ("problems" in config) throw configProblems("config", config.problems);
        const base = defaultBase(await tx.models.config(model.uuid));
        const machineIds = await placeUnits(tx, model.uuid, numUnits, req.to, base, now);
        const app = await tx.applications.insert(
          model.uuid,
          { name, charmUrl: charm.url, base, config: config.values },
          now,
        );
        await tx.units.insert(model.uuid, name, machineIds, now);
        // Peers relate an application's own units; the reference creates them at deploy.
        for (const eps of peerRelationsFor(name, charm.meta.endpoints)) await tx.relations.insert(model.uuid, eps, now);
        return applicationMessage(tx, model.uuid, app);
      });
      simulator.schedule(model.uuid);
      deps.log?.info("application deployed", { model: model.uuid, application: application.name, units: numUnits });
      return { application };
    },

    async addUnits(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      const count = countField("count", req.count);
      const badApp = validateApplicationName(req.application);
      if (badApp) throw badField("application", badApp);
      checkPlacement(req.to);
      const units = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const now = clock(deps);
        const app = await tx.applications.find(model.uuid, req.application);
        if (!app) throw notFound(`application "${req.application}"`, "APPLICATION_NOT_FOUND");
        if (app.life !== "alive") {
          throw ferryError(
            Code.FailedPrecondition,
            "APPLICATION_NOT_ALIVE",
            `application "${app.name}" is ${app.life}`,
          );
        }
        const machineIds = await placeUnits(
          tx,
          model.uuid,
          count,
          req.to,
          { name: app.baseName, channel: app.baseChannel },
          now,
        );
        const rows = await tx.units.insert(model.uuid, app.name, machineIds, now);
        const addresses = new Map((await tx.machines.list(model.uuid)).map((m) => [m.id, m.dnsName]));
        return rows.map((u) => toUnit(u, addresses.get(u.machineId) ?? ""));
      });
      simulator.schedule(model.uuid);
      return { units };
    },

    async removeUnits(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      if (!req.units.length) throw badField("units", 'name at least one unit, e.g. "wordpress/0"');
      const problems = req.units
        .map((name, i) => ({ name, i, parsed: parseUnitName(name) }))
        .filter((u) => typeof u.parsed === "string")
        .map((u) => ({ field: `units[${u.i}]`, description: u.parsed as string }));
      if (problems.length) throw invalidArgument(problems);
      const names = [...new Set(req.units)];
      await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const now = clock(deps);
        const rows = [];
        for (const n of names) rows.push({ n, row: await tx.units.find(model.uuid, n) });
        const missing = rows.filter((r) => !r.row).map((r) => r.n);
        if (missing.length) {
          throw ferryError(
            Code.NotFound,
            "UNIT_NOT_FOUND",
            `unit${missing.length > 1 ? "s" : ""} ${missing.map((n) => `"${n}"`).join(", ")} not found`,
          );
        }
        const apps = new Set<string>();
        for (const { row } of rows) {
          if (!row || row.life !== "alive") continue; // already being removed: nothing more to do
          await removeUnit(tx, model.uuid, row.name, now);
          apps.add(row.application);
        }
        // Leadership moves at once, as it does when the reference's leader unit goes away.
        for (const app of apps) await tx.units.electLeader(model.uuid, app);
      });
      simulator.schedule(model.uuid);
      return {};
    },
  };
}
