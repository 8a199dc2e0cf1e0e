// `ferry status <selector>...`: the reference's status filters, applied to
// the snapshot the client already fetched (one read, whatever the filter).
//
// A selector is a machine id, an application name, a unit name, a status
// value (`active`, `error`, `blocked`, ...) or `exposed`/`unexposed`; names
// may use `*` as a wildcard (`nova-*`, `wordpress/*`). An entity is kept when
// any selector matches it, and what it needs to make sense comes with it:
//   - an application named by a selector keeps all its units;
//   - a unit that matches keeps its application (only the matching units);
//   - a machine that matches keeps the units it hosts; a kept unit keeps its
//     machine;
//   - relations are kept when one of their applications is.
import { create } from "@bufbuild/protobuf";
import { FullStatusSchema, type FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import type { Application, Machine, Unit } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { CliError } from "../errors.js";

const SELECTOR = /^[a-z0-9*][a-z0-9*./-]*$/;

interface Selector {
  text: string;
  /** Matches a whole name, `*` standing for any run of characters. */
  name: RegExp;
  /** A selector with no `/` also matches a unit's application and machine. */
  hasSlash: boolean;
}

function compile(text: string): Selector {
  if (!SELECTOR.test(text)) {
    throw new CliError(
      `invalid status selector "${text}": expected a machine id, an application or unit name, a status or ` +
        `exposed/unexposed (lowercase; * as a wildcard)`,
    );
  }
  const body = text
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return { text, name: new RegExp(`^${body}$`), hasSlash: text.includes("/") };
}

function statusMatches(sel: Selector, ...values: (string | undefined)[]): boolean {
  return !sel.text.includes("*") && values.some((v) => v === sel.text);
}

function unitMatches(sel: Selector, u: Unit): boolean {
  if (sel.name.test(u.name)) return true;
  if (!sel.hasSlash && u.machine && sel.name.test(u.machine)) return true;
  return statusMatches(sel, u.workloadStatus?.current, u.agentStatus?.current);
}

function applicationMatches(sel: Selector, a: Application): boolean {
  if (sel.name.test(a.name)) return true;
  if (sel.text === "exposed") return a.exposed;
  if (sel.text === "unexposed") return !a.exposed;
  return statusMatches(sel, a.status?.current);
}

function machineMatches(sel: Selector, m: Machine): boolean {
  return sel.name.test(m.id) || statusMatches(sel, m.agentStatus?.current, m.instanceStatus?.current);
}

export interface FilterResult {
  status: FullStatus;
  /** The selectors that matched nothing, to say so. */
  unmatched: string[];
}

/** Throws the CliError for a selector that could never match (before any call is made). */
export function checkSelectors(selectors: string[]): void {
  for (const s of selectors) compile(s);
}

/** The part of `status` the selectors pick; the whole of it when there are none. */
export function filterStatus(status: FullStatus, selectors: string[]): FilterResult {
  if (!selectors.length) return { status, unmatched: [] };
  const sels = selectors.map(compile);
  const used = new Set<string>();
  const hit = (s: Selector) => (used.add(s.text), true);

  const wholeApps = new Set<string>();
  for (const a of status.applications) {
    for (const s of sels) if (applicationMatches(s, a) && hit(s)) wholeApps.add(a.name);
  }
  const pickedMachines = new Set<string>();
  for (const m of status.machines) {
    for (const s of sels) if (machineMatches(s, m) && hit(s)) pickedMachines.add(m.id);
  }

  const applications: Application[] = [];
  for (const a of status.applications) {
    const units = wholeApps.has(a.name)
      ? a.units
      : a.units.filter((u) => pickedMachines.has(u.machine) || sels.some((s) => unitMatches(s, u) && hit(s)));
    if (wholeApps.has(a.name) || units.length) applications.push({ ...a, units });
  }
  for (const a of applications) for (const u of a.units) if (u.machine) pickedMachines.add(u.machine);

  const kept = new Set(applications.map((a) => a.name));
  const filtered = create(FullStatusSchema, {
    ...status,
    applications,
    machines: status.machines.filter((m) => pickedMachines.has(m.id)),
    relations: status.relations.filter((r) => r.endpoints.some((e) => kept.has(e.application))),
  });
  return { status: filtered, unmatched: sels.filter((s) => !used.has(s.text)).map((s) => s.text) };
}
