// Rows and domain values -> ferry.v1 messages. No store access here: callers
// read what they need and pass it in, so one read transaction backs a reply.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AgentConnectionSchema,
  ApplicationSchema,
  CharmSchema,
  ConfigValueSchema,
  EndpointRole,
  Life,
  LogEntrySchema,
  MachineSchema,
  ModelAccess,
  ModelSchema,
  ModelUserSchema,
  RelationSchema,
  StatusInfoSchema,
  UnitSchema,
  type AgentConnection,
  type Application,
  type Charm,
  type ConfigValue,
  type LogEntry,
  type Machine,
  type Model,
  type ModelMigrationSummary,
  type Relation,
  type StatusInfo,
  type Unit,
} from "../../gen/ts/ferry/v1/resources_pb.js";
import { FullStatusSchema, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import type { ModelAccessLevel } from "../domain/access.js";
import type { CharmMeta } from "../domain/charms.js";
import type { ConfigEntry } from "../domain/config.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { deriveApplicationStatus } from "../domain/status.js";
import {
  machineAddresses,
  type AgentLinkRow,
  type ApplicationRow,
  type LogRow,
  type MachineRow,
  type ModelRow,
  type ModelUserRow,
  type RelationWithEndpoints,
  type StatusSnapshot as ModelSnapshot,
  type UnitRow,
} from "../store/index.js";

/** "wordpress/0" -> "unit-wordpress-0". */
export function unitTag(name: string): string {
  return `unit-${name.replace("/", "-")}`;
}

export function statusInfo(current: string, message: string, sinceMs: number): StatusInfo {
  return create(StatusInfoSchema, { current, message, since: timestampFromMs(sinceMs) });
}

const LIFE: Record<string, Life> = { alive: Life.ALIVE, dying: Life.DYING, dead: Life.DEAD };

export function lifeOf(text: string): Life {
  return LIFE[text] ?? Life.UNSPECIFIED;
}

const ACCESS: Record<ModelAccessLevel, ModelAccess> = {
  read: ModelAccess.READ,
  write: ModelAccess.WRITE,
  admin: ModelAccess.ADMIN,
};

export function modelAccessOf(level: string | undefined): ModelAccess {
  return (level && ACCESS[level as ModelAccessLevel]) || ModelAccess.UNSPECIFIED;
}

const ROLE: Record<string, EndpointRole> = {
  provider: EndpointRole.PROVIDER,
  requirer: EndpointRole.REQUIRER,
  peer: EndpointRole.PEER,
};

export function roleOf(text: string): EndpointRole {
  return ROLE[text] ?? EndpointRole.UNSPECIFIED;
}

export interface ModelExtras {
  controller: ControllerIdentity;
  counts?: { machines: number; units: number };
  /** Users to show (already filtered by what the caller may see). */
  users?: ModelUserRow[];
  /** The caller's effective access. */
  access?: ModelAccessLevel;
  migration?: ModelMigrationSummary;
}

export function toModel(row: ModelRow, x: ModelExtras): Model {
  return create(ModelSchema, {
    name: row.name,
    owner: row.owner,
    uuid: row.uuid,
    type: "iaas",
    controllerUuid: x.controller.uuid,
    controllerName: x.controller.name,
    isController: row.isController,
    cloud: row.cloud,
    region: row.region,
    cloudType: row.cloudType,
    life: lifeOf(row.life),
    status: statusInfo(row.status, row.statusMessage, row.statusSince),
    agentVersion: row.agentVersion,
    users: (x.users ?? []).map((u) =>
      create(ModelUserSchema, {
        user: u.user,
        access: modelAccessOf(u.access),
        lastConnectionTime: u.lastConnectionAt != null ? timestampFromMs(u.lastConnectionAt) : undefined,
      }),
    ),
    migration: x.migration,
    access: modelAccessOf(x.access),
    createTime: timestampFromMs(row.createdAt),
    machineCount: x.counts?.machines ?? 0,
    unitCount: x.counts?.units ?? 0,
  });
}

/** An agent's connection as the API shows it (controller: this controller's name). */
export function toAgentConnection(l: AgentLinkRow | undefined, controller: string): AgentConnection | undefined {
  if (!l) return undefined;
  return create(AgentConnectionSchema, {
    connected: l.connected,
    controller,
    address: l.address,
    since: timestampFromMs(l.connectedAt),
    lastSeen: timestampFromMs(l.seenAt),
  });
}

export function toMachine(m: MachineRow, agent?: AgentConnection): Machine {
  return create(MachineSchema, {
    agent,
    id: m.id,
    agentStatus: statusInfo(m.agentStatus, m.agentMessage, m.agentSince),
    instanceStatus: statusInfo(m.instanceStatus, m.instanceMessage, m.instanceSince),
    instanceId: m.instanceId,
    dnsName: m.dnsName,
    ipAddresses: machineAddresses(m),
    base: { name: m.baseName, channel: m.baseChannel },
    hostname: m.hostname,
    life: lifeOf(m.life),
  });
}

export function toUnit(u: UnitRow, publicAddress: string, agent?: AgentConnection): Unit {
  return create(UnitSchema, {
    agent,
    workload: {
      seq: BigInt(u.workloadSeq),
      counter: BigInt(u.workloadCounter),
      time: u.workloadAt ? timestampFromMs(u.workloadAt) : undefined,
    },
    name: u.name,
    application: u.application,
    machine: u.machineId,
    workloadStatus: statusInfo(u.workloadStatus, u.workloadMessage, u.workloadSince),
    agentStatus: statusInfo(u.agentStatus, u.agentMessage, u.agentSince),
    publicAddress,
    leader: u.leader,
    life: lifeOf(u.life),
  });
}

export function toApplication(
  a: ApplicationRow,
  charm: { name: string; revision: number } | undefined,
  unitRows: UnitRow[],
  addressOf: (machineId: string) => string,
  agentOf: (tag: string) => AgentConnection | undefined = () => undefined,
): Application {
  const derived = deriveApplicationStatus(
    unitRows
      .filter((u) => u.life === "alive")
      .map((u) => ({ current: u.workloadStatus, message: u.workloadMessage, since: u.workloadSince })),
    a.createdAt,
  );
  return create(ApplicationSchema, {
    name: a.name,
    charm: charm?.name ?? a.charmUrl,
    charmRev: charm?.revision ?? 0,
    charmUrl: a.charmUrl,
    exposed: a.exposed,
    status: statusInfo(derived.current, derived.message, derived.since),
    units: unitRows.map((u) => toUnit(u, addressOf(u.machineId), agentOf(unitTag(u.name)))),
    life: lifeOf(a.life),
    base: { name: a.baseName, channel: a.baseChannel },
    unitCount: unitRows.length,
  });
}

export function toRelation(r: RelationWithEndpoints): Relation {
  return create(RelationSchema, {
    id: r.id,
    key: r.key,
    interface: r.interface,
    scope: r.scope,
    endpoints: r.endpoints.map((e) => ({
      application: e.application,
      name: e.endpoint,
      role: roleOf(e.role),
      interface: e.interface,
    })),
    status: statusInfo(r.status, r.statusMessage, r.statusSince),
  });
}

export interface CharmFacts {
  meta: CharmMeta;
  revision: number;
  url: string;
  sha256: string;
  size: number;
}

export function toCharm(c: CharmFacts): Charm {
  return create(CharmSchema, {
    name: c.meta.name,
    revision: c.revision,
    url: c.url,
    summary: c.meta.summary,
    endpoints: c.meta.endpoints.map((e) => ({
      name: e.name,
      role: roleOf(e.role),
      interface: e.interface,
      scope: e.scope,
      limit: e.limit,
    })),
    config: Object.fromEntries(
      Object.entries(c.meta.config).map(([k, o]) => [
        k,
        { type: o.type, default: o.default ?? "", description: o.description },
      ]),
    ),
    sha256: c.sha256,
    size: BigInt(c.size),
  });
}

export function toConfigMap(view: Record<string, ConfigEntry>): Record<string, ConfigValue> {
  return Object.fromEntries(
    Object.entries(view).map(([k, v]) => [
      k,
      create(ConfigValueSchema, {
        value: v.value,
        source: v.source,
        type: v.type ?? "",
        description: v.description ?? "",
      }),
    ]),
  );
}

export function toLogEntry(r: LogRow): LogEntry {
  return create(LogEntrySchema, {
    time: timestampFromMs(r.time),
    entity: r.entity,
    level: r.level,
    module: r.module,
    message: r.message,
    seq: BigInt(r.seq),
  });
}

/** The full status of a model from one snapshot. */
export function toFullStatus(snap: ModelSnapshot, model: Model, nowMs: number): FullStatus {
  const agentOf = (tag: string) => toAgentConnection(snap.links.get(tag), model.controllerName);
  const addresses = new Map(snap.machines.map((m) => [m.id, m.dnsName]));
  const addressOf = (id: string) => addresses.get(id) ?? "";
  const unitsByApp = new Map<string, UnitRow[]>();
  for (const u of snap.units) {
    const list = unitsByApp.get(u.application) ?? [];
    list.push(u);
    unitsByApp.set(u.application, list);
  }
  return create(FullStatusSchema, {
    model,
    machines: snap.machines.map((m) => toMachine(m, agentOf(`machine-${m.id}`))),
    applications: snap.applications.map((a) =>
      toApplication(a, snap.charms.get(a.charmUrl), unitsByApp.get(a.name) ?? [], addressOf, agentOf),
    ),
    relations: snap.relations.map(toRelation),
    time: timestampFromMs(nowMs),
  });
}
