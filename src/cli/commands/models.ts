// add-model, models, show-model, destroy-model.
import type { CliContext, Session } from "../context.js";
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
  if (opts.load) return listLoad(ctx, session, controller, format);
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

const rate = (x: number | undefined) => Math.round((x ?? 0) * 100) / 100;

/** `ferry models --load`: every model's load on the answering node, busiest first. */
async function listLoad(ctx: CliContext, session: Session, controller: string, format: string): Promise<void> {
  const res = await session.clients.controller.getControllerLoad({});
  const user = session.account?.user;
  const rows = res.models.map((m) => ({
    model: displayModelName(`${m.modelOwner}/${m.modelName}`, user),
    "calls-per-second": {
      "1m": rate((m.reads?.oneMinute ?? 0) + (m.writes?.oneMinute ?? 0) + (m.statusReports?.oneMinute ?? 0)),
      "5m": rate((m.reads?.fiveMinutes ?? 0) + (m.writes?.fiveMinutes ?? 0) + (m.statusReports?.fiveMinutes ?? 0)),
      "15m": rate(
        (m.reads?.fifteenMinutes ?? 0) + (m.writes?.fifteenMinutes ?? 0) + (m.statusReports?.fifteenMinutes ?? 0),
      ),
    },
    "reads-per-second": rate(m.reads?.oneMinute),
    "writes-per-second": rate(m.writes?.oneMinute),
    "reports-per-second": rate(m.statusReports?.oneMinute),
    "watch-streams": m.watchStreams,
    agents: m.agentsConnected,
    entities: Number(m.entities),
  }));
  if (format !== "tabular") {
    ctx.out(structured({ controller, node: res.node?.nodeId ?? "", models: rows }, format as "yaml" | "json"));
    return;
  }
  const header = [
    "Model",
    "Calls/s 1m",
    "5m",
    "15m",
    "Reads/s",
    "Writes/s",
    "Reports/s",
    "Watches",
    "Agents",
    "Entities",
  ];
  const table = rows.map((r) => [
    r.model,
    r["calls-per-second"]["1m"].toFixed(2),
    r["calls-per-second"]["5m"].toFixed(2),
    r["calls-per-second"]["15m"].toFixed(2),
    r["reads-per-second"].toFixed(2),
    r["writes-per-second"].toFixed(2),
    r["reports-per-second"].toFixed(2),
    String(r["watch-streams"]),
    String(r.agents),
    String(r.entities),
  ]);
  ctx.out(
    `Controller: ${controller} (node ${res.node?.nodeId ?? "?"}; figures are this node's)\n\n` +
      formatTable([header, ...table], { rightAlign: [1, 2, 3, 4, 5, 6, 7, 8, 9] }),
  );
}
