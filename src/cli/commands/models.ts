// add-model, models, show-model, destroy-model.
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { showModelDoc } from "../output/model-doc.js";
import { modelAccessName } from "../output/names.js";
import { formatTable } from "../output/table.js";
import { relativeTime, toDate } from "../output/time.js";
import { confirm, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";
import { cacheModels, displayModelName, listAllModels } from "./model-cache.js";
import { parseKeyValues } from "./parse.js";

export async function addModel(ctx: CliContext, opts: Opts, name: string): Promise<void> {
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  const res = await session.clients.model.createModel({
    name,
    owner: opts.owner ?? "",
    region: opts.region ?? "",
    config: parseKeyValues(opts.config),
  });
  const m = res.model;
  if (!m) throw new Error("the controller returned no model");
  const qualified = `${m.owner}/${m.name}`;
  await ctx.store.updateModels(controller, (c) => {
    c.models[qualified] = { uuid: m.uuid, type: m.type || "iaas" };
    if (opts.switch !== false) c.currentModel = qualified;
  });
  if (opts.switch !== false) await ctx.store.setCurrentController(controller);
  ctx.out(`Added '${m.name}' model on ${m.cloud}/${m.region} for user '${m.owner}'`);
}

export async function listModels(ctx: CliContext, opts: Opts): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  const models = await listAllModels(session, Boolean(opts.all));
  await cacheModels(ctx, controller, models);
  const { currentModel } = await ctx.store.models(controller);
  const user = session.account?.user;
  const now = new Date();
  if (format !== "tabular") {
    const doc = {
      models: models.map((m) => Object.values(showModelDoc(m, now, controller))[0]),
      ...(currentModel ? { "current-model": displayModelName(currentModel, user) } : {}),
    };
    ctx.out(structured(doc, format));
    return;
  }
  const rows = models.map((m) => {
    const q = `${m.owner}/${m.name}`;
    const mine = m.users.find((u) => u.user === user);
    const last = toDate(mine?.lastConnectionTime);
    return [
      displayModelName(q, user) + (q === currentModel ? "*" : ""),
      `${m.cloud}/${m.region}`,
      m.cloudType,
      m.status?.current ?? "",
      String(m.machineCount),
      m.unitCount ? String(m.unitCount) : "-",
      modelAccessName(m.access),
      last ? relativeTime(last, now) : "never connected",
    ];
  });
  const header = ["Model", "Cloud/Region", "Type", "Status", "Machines", "Units", "Access", "Last connection"];
  ctx.out(`Controller: ${controller}\n\n${formatTable([header, ...rows], { rightAlign: [4, 5] })}`);
}

export async function showModel(ctx: CliContext, opts: Opts, model?: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const target = await ctx.modelTarget(model ?? opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.getModel({ model: target.model });
  if (!res.model) throw new Error("the controller returned no model");
  ctx.out(structured(showModelDoc(res.model, new Date(), target.controller), format));
}

export async function destroyModel(ctx: CliContext, opts: Opts, model: string): Promise<void> {
  const target = await ctx.modelTarget(model);
  if (!opts.yes) {
    if (!stdinIsTTY()) throw new CliError("destroying a model needs confirmation", "Rerun with -y to confirm.");
    const ok = await confirm(
      `Destroy model "${target.display}" on controller "${target.controller}" and everything in it?`,
    );
    if (!ok) throw new CliError("model not destroyed");
  }
  const session = await ctx.session(target.controller);
  await session.clients.model.deleteModel({ model: target.model });
  await ctx.store.updateModels(target.controller, (c) => {
    const key = Object.keys(c.models).find((k) => k === target.model || c.models[k]!.uuid === target.model);
    if (key) delete c.models[key];
    if (c.currentModel === target.model || c.currentModel === key) delete c.currentModel;
  });
  ctx.out(`Model "${target.display}" destroyed.`);
}
