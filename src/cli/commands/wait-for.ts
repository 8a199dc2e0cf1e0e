// wait-for: block until a model, an application or a unit has settled (in
// the spirit of the reference's `juju wait-for`): machines started, units
// idle with their workload active, relations joined; or, with --query,
// until a condition on the entity's fields holds (wait-query.ts). Exits 1
// on --timeout.
import type { FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import { Life } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { fetchStatus } from "../../client/status.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import type { Opts } from "../run.js";
import { parseInterval } from "./status.js";
import { parseQuery, QueryError, type Fields } from "./wait-query.js";

const KINDS = ["model", "application", "unit"] as const;
type Kind = (typeof KINDS)[number];

/** What is still unsettled, in words; empty when everything is. */
export function unsettled(st: FullStatus, kind: Kind, name: string): string[] {
  const apps =
    kind === "model"
      ? st.applications
      : st.applications.filter((a) => a.name === (kind === "unit" ? name.split("/")[0] : name));
  if (kind !== "model" && !apps.length) return [`${kind} "${name}" does not exist (yet)`];
  const units = apps.flatMap((a) => a.units).filter((u) => kind !== "unit" || u.name === name);
  if (kind === "unit" && !units.length) return [`unit "${name}" does not exist (yet)`];
  const out: string[] = [];
  const machines = new Set(units.map((u) => u.machine));
  for (const m of st.machines) {
    if ((kind === "model" || machines.has(m.id)) && m.agentStatus?.current !== "started")
      out.push(`machine ${m.id} is ${m.agentStatus?.current ?? "unknown"}`);
  }
  for (const u of units) {
    if (u.agentStatus?.current !== "idle" || u.workloadStatus?.current !== "active")
      out.push(`unit ${u.name} is ${u.agentStatus?.current ?? "unknown"}/${u.workloadStatus?.current ?? "unknown"}`);
  }
  const names = new Set(apps.map((a) => a.name));
  for (const r of st.relations) {
    if (kind !== "model" && !r.endpoints.some((e) => names.has(e.application))) continue;
    if (r.status?.current !== "joined") out.push(`relation "${r.key}" is ${r.status?.current ?? "unknown"}`);
  }
  return out;
}

const FIELDS: Record<Kind, readonly string[]> = {
  model: ["exists", "settled", "name", "life", "status", "applications", "units", "machines"],
  application: [
    "exists",
    "settled",
    "name",
    "life",
    "status",
    "exposed",
    "charm",
    "charm-rev",
    "units",
    "active-units",
  ],
  unit: [
    "exists",
    "settled",
    "name",
    "life",
    "status",
    "workload-status",
    "agent-status",
    "machine",
    "leader",
    "workload-seq",
  ],
};

function lifeText(l: Life): string {
  return l === Life.DYING ? "dying" : l === Life.DEAD ? "dead" : "alive";
}

/** The fields a --query sees for the entity (exists false, and nothing else, when it is not there). */
export function fieldsOf(st: FullStatus, kind: Kind, name: string): Fields {
  const settled = unsettled(st, kind, name).length === 0;
  if (kind === "model") {
    const units = st.applications.flatMap((a) => a.units);
    return {
      exists: true,
      settled,
      name: st.model?.name ?? "",
      life: lifeText(st.model?.life ?? Life.ALIVE),
      status: st.model?.status?.current ?? "",
      applications: st.applications.length,
      units: units.length,
      machines: st.machines.length,
    };
  }
  if (kind === "application") {
    const a = st.applications.find((x) => x.name === name);
    if (!a) return { exists: false };
    const alive = a.units.filter((u) => u.life !== Life.DYING && u.life !== Life.DEAD);
    return {
      exists: true,
      settled,
      name: a.name,
      life: lifeText(a.life),
      status: a.status?.current ?? "",
      exposed: a.exposed,
      charm: a.charm,
      "charm-rev": a.charmRev,
      units: alive.length,
      "active-units": alive.filter((u) => u.workloadStatus?.current === "active").length,
    };
  }
  const u = st.applications.flatMap((a) => a.units).find((x) => x.name === name);
  if (!u) return { exists: false };
  return {
    exists: true,
    settled,
    name: u.name,
    life: lifeText(u.life),
    status: u.workloadStatus?.current ?? "",
    "workload-status": u.workloadStatus?.current ?? "",
    "agent-status": u.agentStatus?.current ?? "",
    machine: u.machine,
    leader: u.leader,
    "workload-seq": Number(u.workload?.seq ?? 0n),
  };
}

export async function waitFor(ctx: CliContext, opts: Opts, kind: string, name?: string): Promise<void> {
  if (!KINDS.includes(kind as Kind))
    throw new CliError(`invalid kind "${kind}": wait for a model, application or unit`);
  if (kind !== "model" && !name) throw new CliError(`wait-for ${kind} needs the ${kind}'s name`);
  const timeoutMs = parseInterval(String(opts.timeout ?? "10m"));
  let query: ((f: Fields) => boolean) | undefined;
  if (opts.query !== undefined) {
    try {
      query = parseQuery(String(opts.query), FIELDS[kind as Kind]);
    } catch (err) {
      if (err instanceof QueryError) throw new CliError(`invalid --query "${String(opts.query)}": ${err.message}`);
      throw err;
    }
  }
  const target = await ctx.modelTarget(kind === "model" ? (name ?? opts.model) : opts.model);
  const session = await ctx.session(target.controller);
  const what = kind === "model" ? `model "${target.display}"` : `${kind} "${name}"`;
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    const st = await fetchStatus(session.clients, target.model, { timeoutMs: 60_000 });
    if (query) {
      const fields = fieldsOf(st, kind as Kind, name ?? "");
      if (query(fields)) {
        ctx.out(`${what[0]!.toUpperCase()}${what.slice(1)} matches ${String(opts.query)}.`);
        return;
      }
      last = [
        fields.exists === false
          ? `${kind} "${name}" does not exist`
          : Object.entries(fields)
              .filter(([k]) => k !== "exists")
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(" "),
      ];
    } else {
      last = unsettled(st, kind as Kind, name ?? "");
      if (!last.length) {
        ctx.out(
          `${what[0]!.toUpperCase()}${what.slice(1)} has settled: machines started, units idle, relations joined.`,
        );
        return;
      }
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `timed out after ${opts.timeout ?? "10m"} waiting for ${what} ${query ? `to match ${String(opts.query)}` : "to settle"}: ${last.slice(0, 5).join("; ")}${last.length > 5 ? `; and ${last.length - 5} more` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
