// `ferry show-model` and `ferry models` views of a model (migration.md §3).
import type { Model } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { lifeName, modelAccessName } from "./names.js";
import { relativeTime, toDate } from "./time.js";

type Doc = Record<string, unknown>;

const MIGRATING_PREFIX = "migrating: ";

/**
 * The `status:` block: current/message/since, plus the latest migration's
 * message, start and (once ended) end, all times relative to `now`.
 */
export function modelStatusDoc(m: Model, now: Date): Doc {
  const doc: Doc = { current: m.status?.current || "unknown" };
  if (m.status?.message) doc.message = m.status.message;
  const since = toDate(m.status?.since);
  if (since) doc.since = relativeTime(since, now);
  const mig = m.migration;
  if (mig && mig.id) {
    const msg = mig.message.startsWith(MIGRATING_PREFIX) ? mig.message.slice(MIGRATING_PREFIX.length) : mig.message;
    if (msg) doc.migration = msg;
    const start = toDate(mig.startTime);
    if (start) doc["migration-start"] = relativeTime(start, now);
    const end = toDate(mig.endTime);
    if (end) doc["migration-end"] = relativeTime(end, now);
  }
  return doc;
}

/**
 * The show-model document, keyed by the model's short name. `controllerName`
 * is the client's name for the controller (the reference shows that, not the
 * controller's own name).
 */
export function showModelDoc(m: Model, now: Date = new Date(), controllerName?: string): Doc {
  const users: Doc = {};
  for (const u of m.users) {
    const entry: Doc = { access: modelAccessName(u.access) };
    const last = toDate(u.lastConnectionTime);
    entry["last-connection"] = last ? relativeTime(last, now) : "never connected";
    users[u.user] = entry;
  }
  const body: Doc = {
    name: `${m.owner}/${m.name}`,
    "short-name": m.name,
    "model-uuid": m.uuid,
    "model-type": m.type || "iaas",
    "controller-uuid": m.controllerUuid,
    "controller-name": controllerName ?? m.controllerName,
    "is-controller": m.isController,
    owner: m.owner,
    cloud: m.cloud,
    region: m.region,
    type: m.cloudType,
    life: lifeName(m.life),
    status: modelStatusDoc(m, now),
    users,
    "machine-count": m.machineCount,
    "unit-count": m.unitCount,
    "agent-version": m.agentVersion,
  };
  return { [m.name]: body };
}
