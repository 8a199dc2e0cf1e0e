// ModelService: removing applications and machines, and exposing
// applications. Removal works as the reference's does: the entity is marked
// dying in the request's transaction (its relations go at once), and the
// simulator (with live agents, the agents) takes it the rest of the way, so
// status shows what is being removed until it is gone.
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { validateApplicationName, validateMachineId } from "../domain/names.js";
import { Messages } from "../domain/status.js";
import type { ApplicationRow, Repos } from "../store/index.js";
import { badField, failedPrecondition, ferryError, invalidArgument, notFound } from "./errors.js";
import { clock, liveModel, modelFor, type ModelServiceDeps } from "./model-service-support.js";

type RemoveHandlers = Pick<
  ServiceImpl<typeof ModelService>,
  "removeApplication" | "removeMachines" | "exposeApplication" | "unexposeApplication"
>;

/** Marks a unit dying with the status the reference shows while it stops. */
export async function removeUnit(tx: Repos, modelUuid: string, name: string, now: number): Promise<void> {
  await tx.units.markDying(modelUuid, name, now);
  await tx.units.setStatus(modelUuid, name, "agent", { status: "executing", message: Messages.stopping }, now);
}

async function existingApplication(tx: Repos, modelUuid: string, name: string): Promise<ApplicationRow> {
  const app = await tx.applications.find(modelUuid, name);
  if (!app) throw notFound(`application "${name}"`, "APPLICATION_NOT_FOUND");
  return app;
}

function checkApplicationName(name: string): void {
  const bad = validateApplicationName(name);
  if (bad) throw badField("application", bad);
}

export function removeHandlers(deps: ModelServiceDeps): RemoveHandlers {
  const { store, simulator } = deps;

  async function setExposed(ref: string, application: string, exposed: boolean, ctx: Parameters<typeof modelFor>[1]) {
    const { model } = await modelFor(deps, ctx, ref, "write", true);
    checkApplicationName(application);
    const changed = await store.write(async (tx) => {
      await liveModel(tx, model.uuid);
      const app = await existingApplication(tx, model.uuid, application);
      if (app.life !== "alive") {
        throw ferryError(Code.FailedPrecondition, "APPLICATION_NOT_ALIVE", `application "${app.name}" is ${app.life}`);
      }
      return tx.applications.setExposed(model.uuid, app.name, exposed, clock(deps));
    });
    return { changed };
  }

  return {
    async removeApplication(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      checkApplicationName(req.application);
      const res = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const now = clock(deps);
        const app = await existingApplication(tx, model.uuid, req.application);
        const units = (await tx.units.list(model.uuid, app.name)).filter((u) => u.life === "alive");
        // Its relations go at once (peer relations too): the other side stops
        // seeing it, as when the reference's relations depart.
        const relations = (await tx.relations.list(model.uuid)).filter((r) =>
          r.endpoints.some((e) => e.application === app.name),
        );
        for (const r of relations) await tx.relations.delete(model.uuid, r, now);
        if (app.life === "alive") await tx.applications.markDying(model.uuid, app.name, now);
        for (const u of units) await removeUnit(tx, model.uuid, u.name, now);
        return { units: units.map((u) => u.name), relationIds: relations.map((r) => r.id) };
      });
      simulator.schedule(model.uuid);
      deps.log?.info("application removed", { model: model.uuid, application: req.application });
      return res;
    },

    async removeMachines(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "write", true);
      if (!req.machines.length) throw badField("machines", 'name at least one machine, e.g. "1"');
      const problems = req.machines
        .map((id, i) => ({ i, bad: validateMachineId(id) }))
        .filter((p) => p.bad)
        .map((p) => ({ field: `machines[${p.i}]`, description: p.bad! }));
      if (problems.length) throw invalidArgument(problems);
      const ids = [...new Set(req.machines)];
      const units = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const now = clock(deps);
        const rows = [];
        for (const id of ids) rows.push({ id, row: await tx.machines.find(model.uuid, id) });
        const missing = rows.filter((r) => !r.row).map((r) => r.id);
        if (missing.length) {
          throw ferryError(
            Code.NotFound,
            "MACHINE_NOT_FOUND",
            `machine${missing.length > 1 ? "s" : ""} ${missing.map((n) => `"${n}"`).join(", ")} not found`,
          );
        }
        const hosted = new Map<string, string[]>();
        for (const id of ids) {
          const on = (await tx.units.onMachine(model.uuid, id)).filter((u) => u.life === "alive").map((u) => u.name);
          if (on.length) hosted.set(id, on);
        }
        if (hosted.size && !req.force) {
          const violations = [...hosted].map(([id, on]) => ({
            type: "MACHINE_HAS_UNITS",
            subject: `machine-${id}`,
            description: `machine ${id} hosts unit${on.length > 1 ? "s" : ""} ${on.join(", ")}`,
          }));
          throw failedPrecondition(
            "MACHINE_HAS_UNITS",
            `${violations.map((v) => v.description).join("; ")}: remove ${
              hosted.size > 1 || [...hosted.values()][0]!.length > 1 ? "them" : "it"
            } first, or force the removal to remove the units too`,
            violations,
          );
        }
        const removed: string[] = [];
        const apps = new Set<string>();
        for (const [, on] of hosted) {
          for (const name of on) {
            await removeUnit(tx, model.uuid, name, now);
            removed.push(name);
            apps.add(name.split("/")[0]!);
          }
        }
        for (const app of apps) await tx.units.electLeader(model.uuid, app);
        for (const { id, row } of rows) if (row?.life === "alive") await tx.machines.markDying(model.uuid, id, now);
        return removed;
      });
      simulator.schedule(model.uuid);
      return { units };
    },

    exposeApplication: (req, ctx) => setExposed(req.model, req.application, true, ctx),
    unexposeApplication: (req, ctx) => setExposed(req.model, req.application, false, ctx),
  };
}
