// The `ferry status --format yaml|json` document. Keys follow the reference
// system's status document (cli.md) so scripts written for it port easily; the
// one rename is `juju-status` -> `agent-status`.
import type { FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import {
  EndpointRole,
  Life,
  type AgentConnection,
  type Application,
  type Machine,
  type WorkloadInfo,
  type Relation,
  type StatusInfo,
  type Unit,
} from "../../../gen/ts/ferry/v1/resources_pb.js";
import { formatClock, formatDateTime, toDate } from "./time.js";

type Doc = Record<string, unknown>;

/** "dying" for what is being removed; nothing for the alive (the reference shows life only when it is not). */
function lifeDoc(doc: Doc, life: Life): void {
  if (life === Life.DYING || life === Life.DEAD) doc.life = life === Life.DYING ? "dying" : "dead";
}

export function statusInfoDoc(s: StatusInfo | undefined): Doc {
  const doc: Doc = { current: s?.current || "unknown" };
  if (s?.message) doc.message = s.message;
  const since = toDate(s?.since);
  if (since) doc.since = formatDateTime(since);
  return doc;
}

/** An agent's connection: controller, address, since, last heard from. */
export function agentConnectionDoc(a: AgentConnection | undefined): Doc | undefined {
  if (!a) return undefined;
  const doc: Doc = { connected: a.connected, controller: a.controller, address: a.address };
  const since = toDate(a.since);
  if (since) doc.since = formatDateTime(since);
  const seen = toDate(a.lastSeen);
  if (seen) doc["last-seen"] = formatDateTime(seen);
  return doc;
}

/** A unit's last workload report: its sequence number and time. */
export function workloadReportDoc(w: WorkloadInfo | undefined): Doc | undefined {
  if (!w || w.seq === 0n) return undefined;
  const doc: Doc = { seq: Number(w.seq), counter: Number(w.counter) };
  const at = toDate(w.time);
  if (at) doc.time = formatDateTime(at);
  return doc;
}

export function machineDoc(m: Machine): Doc {
  const doc: Doc = { "agent-status": statusInfoDoc(m.agentStatus) };
  if (m.instanceStatus) doc["machine-status"] = statusInfoDoc(m.instanceStatus);
  if (m.hostname) doc.hostname = m.hostname;
  if (m.dnsName) doc["dns-name"] = m.dnsName;
  if (m.ipAddresses.length) doc["ip-addresses"] = [...m.ipAddresses];
  doc["instance-id"] = m.instanceId || "pending";
  if (m.base) doc.base = { name: m.base.name, channel: m.base.channel };
  lifeDoc(doc, m.life);
  return doc;
}

export function unitDoc(u: Unit): Doc {
  const doc: Doc = {
    "workload-status": statusInfoDoc(u.workloadStatus),
    "agent-status": statusInfoDoc(u.agentStatus),
  };
  if (u.leader) doc.leader = true;
  if (u.machine) doc.machine = u.machine;
  if (u.publicAddress) doc["public-address"] = u.publicAddress;
  const report = workloadReportDoc(u.workload);
  if (report) doc["workload-report"] = report;
  lifeDoc(doc, u.life);
  return doc;
}

/** Each application's endpoints and what they are related to. */
export function relationsByApplication(relations: Relation[]): Map<string, Record<string, Doc[]>> {
  const out = new Map<string, Record<string, Doc[]>>();
  for (const r of relations) {
    for (const ep of r.endpoints) {
      // A peer relation relates an application to itself.
      const others = r.endpoints.filter((o) => o !== ep);
      const related = others.length ? others.map((o) => o.application) : [ep.application];
      const byEndpoint = out.get(ep.application) ?? {};
      for (const app of related) {
        (byEndpoint[ep.name] ??= []).push({
          "related-application": app,
          interface: ep.interface || r.interface,
          scope: r.scope || "global",
        });
      }
      out.set(ep.application, byEndpoint);
    }
  }
  return out;
}

export function applicationDoc(a: Application, relations: Record<string, Doc[]> | undefined): Doc {
  const doc: Doc = {
    charm: a.charm,
    "charm-rev": a.charmRev,
    exposed: a.exposed,
    "application-status": statusInfoDoc(a.status),
  };
  lifeDoc(doc, a.life);
  if (a.base) doc.base = { name: a.base.name, channel: a.base.channel };
  if (relations && Object.keys(relations).length) doc.relations = relations;
  if (a.units.length) doc.units = Object.fromEntries(a.units.map((u) => [u.name, unitDoc(u)]));
  return doc;
}

/** `controllerName` is the client's name for the controller, as the reference shows it. */
export function statusDocument(status: FullStatus, controllerName: string): Doc {
  const m = status.model;
  const rels = relationsByApplication(status.relations);
  const time = toDate(status.time) ?? new Date();
  return {
    model: {
      name: m?.name ?? "",
      type: m?.type || "iaas",
      controller: controllerName,
      cloud: m?.cloud ?? "",
      region: m?.region ?? "",
      version: m?.agentVersion ?? "",
      "model-status": statusInfoDoc(m?.status),
    },
    machines: Object.fromEntries(status.machines.map((mc) => [mc.id, machineDoc(mc)])),
    applications: Object.fromEntries(status.applications.map((a) => [a.name, applicationDoc(a, rels.get(a.name))])),
    controller: { timestamp: formatClock(time) },
  };
}

/** "provider" and "requirer" sides of a relation for the tabular view. */
export function relationSides(r: Relation): { provider: string; requirer: string; type: string } {
  const name = (e: { application: string; name: string }) => `${e.application}:${e.name}`;
  const prov = r.endpoints.find((e) => e.role === EndpointRole.PROVIDER);
  const req = r.endpoints.find((e) => e.role === EndpointRole.REQUIRER);
  if (prov && req) return { provider: name(prov), requirer: name(req), type: "regular" };
  const [a, b] = r.endpoints;
  if (a && !b) return { provider: name(a), requirer: name(a), type: "peer" };
  return { provider: a ? name(a) : "", requirer: b ? name(b) : "", type: "regular" };
}
