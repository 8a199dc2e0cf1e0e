// show-application, show-machine, show-unit and status-history: one entity of the model, with
// what status leaves out (its agent's connection: controller, address,
// since, last heard from; a unit's last workload report; the status
// history the controller keeps).
import type { FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import { fetchStatus } from "../../client/status.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import {
  agentConnectionDoc,
  applicationDoc,
  machineDoc,
  relationSides,
  statusInfoDoc,
  unitDoc,
} from "../output/status-doc.js";
import { typedConfigValue } from "../output/config-value.js";
import { formatTable } from "../output/table.js";
import { formatDateTime, toDate } from "../output/time.js";
import type { Opts } from "../run.js";

async function statusOf(ctx: CliContext, opts: Opts): Promise<{ st: FullStatus; model: string; controller: string }> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const st = await fetchStatus(session.clients, target.model, { timeoutMs: 60_000 });
  return { st, model: target.display, controller: target.controller };
}

export async function showMachine(ctx: CliContext, opts: Opts, id: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const { st, model } = await statusOf(ctx, opts);
  const m = st.machines.find((x) => x.id === id);
  if (!m) {
    throw new CliError(
      `machine "${id}" not found in model "${model}"`,
      `See the model's machines with 'ferry status'.`,
    );
  }
  const units = st.applications.flatMap((a) => a.units.filter((u) => u.machine === id).map((u) => u.name));
  const doc: Record<string, unknown> = { ...machineDoc(m) };
  if (units.length) doc.units = units;
  doc.agent = agentConnectionDoc(m.agent) ?? {
    connected: false,
    note: "no agent has connected (a controller with --agents none)",
  };
  ctx.out(structured({ machines: { [id]: doc } }, format));
}

export async function showUnit(ctx: CliContext, opts: Opts, name: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const { st, model } = await statusOf(ctx, opts);
  const app = st.applications.find((a) => a.units.some((u) => u.name === name));
  const u = app?.units.find((x) => x.name === name);
  if (!app || !u) {
    throw new CliError(`unit "${name}" not found in model "${model}"`, `See the model's units with 'ferry status'.`);
  }
  const doc: Record<string, unknown> = { application: app.name, ...unitDoc(u) };
  doc.agent = agentConnectionDoc(u.agent) ?? {
    connected: false,
    note: "no agent has connected (a controller with --agents none)",
  };
  if (!doc["workload-report"]) doc["workload-report"] = { seq: 0, note: "no report yet" };
  ctx.out(structured({ [name]: doc }, format));
}

export async function showApplication(ctx: CliContext, opts: Opts, name: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const [st, config, charms] = await Promise.all([
    fetchStatus(session.clients, target.model, { timeoutMs: 60_000 }),
    session.clients.model.getApplicationConfig({ model: target.model, application: name }).catch(() => undefined),
    session.clients.model.listCharms({ model: target.model }).catch(() => undefined),
  ]);
  const app = st.applications.find((a) => a.name === name);
  if (!app) {
    throw new CliError(
      `application "${name}" not found in model "${target.display}"`,
      `See the model's applications with 'ferry status'.`,
    );
  }
  const doc = applicationDoc(app, undefined);
  const charm = charms?.charms.find((c) => c.url === app.charmUrl);
  doc.charm = {
    name: app.charm,
    revision: app.charmRev,
    url: app.charmUrl,
    ...(charm ? { sha256: charm.sha256, size: Number(charm.size), summary: charm.summary } : {}),
  };
  delete doc["charm-rev"];
  doc.relations = st.relations
    .filter((r) => r.endpoints.some((e) => e.application === name))
    .map((r) => {
      const sides = relationSides(r);
      return {
        id: r.id,
        provider: sides.provider,
        requirer: sides.requirer,
        interface: r.interface,
        type: sides.type,
        status: statusInfoDoc(r.status),
      };
    });
  if (config) {
    const keys = Object.keys(config.config).sort();
    doc.config = Object.fromEntries(keys.map((k) => [k, typedConfigValue(config.config[k]!)]));
    const set = keys.filter((k) => config.config[k]!.source === "user");
    if (set.length) doc["config-set"] = set;
  }
  ctx.out(structured({ [name]: doc }, format));
}

const KINDS = ["agent", "instance", "workload", "report", "model", "relation"];

export async function statusHistory(ctx: CliContext, opts: Opts, entity: string): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const kinds = opts.type ? String(opts.type).split(",").filter(Boolean) : [];
  for (const k of kinds) if (!KINDS.includes(k)) throw new CliError(`invalid --type "${k}": use ${KINDS.join(", ")}`);
  const limit = Number(opts.lines ?? 20);
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.getStatusHistory({ model: target.model, entity, kinds, limit });
  // Oldest first, as the reference's show-status-log prints it.
  const rows = [...res.entries].reverse();
  if (format !== "tabular") {
    const doc = rows.map((e) => ({
      kind: e.kind,
      ...statusInfoDoc(e.status),
      ...(e.seq > 0n ? { seq: Number(e.seq) } : {}),
    }));
    ctx.out(structured({ entity: res.entity, entries: doc, more: res.more }, format));
    return;
  }
  if (!rows.length) {
    ctx.info(`No status history for "${entity}" in model "${target.display}".`);
    return;
  }
  ctx.out(
    formatTable([
      ["Time", "Type", "Status", "Message"],
      ...rows.map((e) => {
        const at = toDate(e.status?.since);
        return [at ? formatDateTime(at) : "", e.kind, e.status?.current ?? "", e.status?.message ?? ""];
      }),
    ]),
  );
  if (res.more) ctx.info(`(older entries not shown: use -n to see more)`);
}
