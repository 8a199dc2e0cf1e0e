// Migration prechecks (migration.md section 1) as pure functions over
// snapshots: the caller reads the facts (in one transaction, or over the
// wire) and these decide. Every check runs and every failure is returned, so
// an operator fixes all problems in one go (the reference stops at the first).
// The message texts are part of the product contract: tests and users grep
// them, so change them only together with the spec.
import {
  DESCRIPTION_FORMAT,
  importableFormat,
  MIN_DESCRIPTION_FORMAT,
  UNSTATED_DESCRIPTION_FORMAT,
} from "./description.js";

/** One failed check: stable code, the entity it concerns, the spec message. */
export interface PrecheckFailure {
  code: string;
  subject: string;
  message: string;
}

/** Stable machine-readable check codes (PreconditionFailure.violations[].type). */
export const PRECHECK = {
  controllerModel: "CONTROLLER_MODEL",
  inProgress: "MIGRATION_IN_PROGRESS",
  notAlive: "MODEL_NOT_ALIVE",
  sameController: "SAME_CONTROLLER",
  unreachable: "TARGET_UNREACHABLE",
  uuidMismatch: "TARGET_UUID_MISMATCH",
  tokenRejected: "TARGET_TOKEN_REJECTED",
  version: "TARGET_VERSION_OLDER",
  descriptionFormat: "DESCRIPTION_FORMAT_UNSUPPORTED",
  cloud: "CLOUD_MISMATCH",
  cloudType: "CLOUD_TYPE_MISMATCH",
  region: "REGION_NOT_AVAILABLE",
  missingUsers: "MISSING_USERS",
  /** One missing user, as a destination may report it; folded into MISSING_USERS. */
  missingUser: "MISSING_USER",
  nameExists: "MODEL_NAME_EXISTS",
  uuidExists: "MODEL_UUID_EXISTS",
  machine: "MACHINE_NOT_RUNNING",
  unit: "UNIT_NOT_READY",
  relation: "RELATION_NOT_JOINED",
} as const;

// ---------------------------------------------------------------- source side

export interface SourceSnapshot {
  /** This (the source) controller's UUID. */
  controllerUuid: string;
  model: { uuid: string; name: string; owner: string; life: string; isController: boolean };
  /**
   * Another migration of this model is active (not terminal). The migration
   * being run (QUIESCE re-checks) must not count itself.
   */
  otherMigrationActive: boolean;
  /** The destination the user named. */
  targetControllerUuid: string;
  machines: { id: string; life: string; agentStatus: string }[];
  units: { name: string; application: string; life: string; agentStatus: string }[];
  relations: { key: string; status: string; applications: string[] }[];
}

/** Units (agent status) that are settled enough to migrate. */
const READY_UNIT_STATUSES = new Set(["idle", "executing"]);

/** Everything the source can decide from its own store. */
export function sourcePrechecks(s: SourceSnapshot): PrecheckFailure[] {
  const out: PrecheckFailure[] = [];
  const m = s.model;
  const subject = `${m.owner}/${m.name}`;
  if (m.isController) {
    out.push({ code: PRECHECK.controllerModel, subject, message: "controller model cannot be migrated" });
  }
  if (s.otherMigrationActive) {
    out.push({ code: PRECHECK.inProgress, subject, message: "migration already in progress" });
  }
  if (m.life !== "alive") out.push({ code: PRECHECK.notAlive, subject, message: `model is ${m.life}` });
  if (s.targetControllerUuid.toLowerCase() === s.controllerUuid.toLowerCase()) {
    out.push({ code: PRECHECK.sameController, subject, message: "model already on destination controller" });
  }
  for (const mc of s.machines) {
    const state = mc.life !== "alive" ? mc.life : mc.agentStatus;
    if (mc.life !== "alive" || mc.agentStatus !== "started") {
      out.push({
        code: PRECHECK.machine,
        subject: `machine-${mc.id}`,
        message: `machine ${mc.id} is not running (${state})`,
      });
    }
  }
  for (const u of s.units) {
    if (u.life !== "alive" || !READY_UNIT_STATUSES.has(u.agentStatus)) {
      const state = u.life !== "alive" ? u.life : u.agentStatus;
      out.push({
        code: PRECHECK.unit,
        subject: `unit-${u.name.replace("/", "-")}`,
        message: `unit ${u.name} is not idle or executing (${state})`,
      });
    }
  }
  // Relations settle as a whole here (joining -> joined once every unit of
  // both applications is up), so a relation that has not joined means none
  // of its units has: name each one, as the reference does per unit.
  for (const r of s.relations) {
    if (r.status === "joined") continue;
    for (const u of s.units) {
      if (u.life === "alive" && r.applications.includes(u.application)) {
        out.push({
          code: PRECHECK.relation,
          subject: `unit-${u.name.replace("/", "-")}`,
          message: `unit ${u.name} has not joined relation "${r.key}" yet`,
        });
      }
    }
  }
  return out;
}

// ------------------------------------------------------------ connection side

export function unreachable(why: string): PrecheckFailure {
  return {
    code: PRECHECK.unreachable,
    subject: "destination",
    message: `cannot connect to destination controller: ${why}`,
  };
}

export function uuidMismatch(got: string, expected: string): PrecheckFailure {
  return {
    code: PRECHECK.uuidMismatch,
    subject: "destination",
    message: `unexpected destination controller UUID (got ${got}, expected ${expected})`,
  };
}

export function tokenRejected(why: string): PrecheckFailure {
  return {
    code: PRECHECK.tokenRejected,
    subject: "destination",
    message: `destination controller rejected the migration token: ${why}`,
  };
}

// ------------------------------------------------------- destination side

/** What the destination knows about itself, for targetPrechecks. */
export interface DestinationFacts {
  controllerVersion: string;
  cloud: string;
  cloudType: string;
  regions: string[];
  /** Users that exist on the destination (of those asked about). */
  existingUsers: ReadonlySet<string>;
  /** Owner/name of a model there with the migrating model's name and owner. */
  modelWithSameName: boolean;
  /**
   * A model with the same UUID exists there, and it is not a leftover
   * (not activated) import of a migration of this model.
   */
  modelWithSameUuid: boolean;
}

/** The migrating model as the destination is told about it. */
export interface MigratingModel {
  uuid: string;
  name: string;
  owner: string;
  cloud: string;
  cloudType: string;
  region: string;
  agentVersion: string;
  controllerVersion: string;
  users: string[];
  /** The description format the source will send; 0 when it does not say (older sources). */
  descriptionFormat?: number;
}

/** The advisory the spec prescribes, listing every missing user. */
export function missingUsersAdvisory(users: readonly string[]): string {
  return [
    "cannot initiate migration: the users granted access to the model do not exist",
    "on the destination controller. Add them to the destination controller or remove",
    "them from the model:",
    ...users.map((u) => `  - ${u}`),
  ].join("\n");
}

/**
 * Compares dotted versions numerically ("1.10.0" > "1.9.2"); a missing part
 * counts as 0 and a pre-release suffix ("1.2.0-beta1") sorts before the release.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre = ""] = v.trim().replace(/^v/, "").split("-", 2);
    return { nums: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The version check alone (the source also runs it on what the destination reports). */
export function versionPrechecks(
  destVersion: string,
  model: Pick<MigratingModel, "controllerVersion" | "agentVersion">,
): PrecheckFailure[] {
  const out: PrecheckFailure[] = [];
  if (compareVersions(destVersion, model.controllerVersion) < 0) {
    out.push({
      code: PRECHECK.version,
      subject: "destination",
      message: `destination controller version ${destVersion} is older than source ${model.controllerVersion}`,
    });
  } else if (model.agentVersion && compareVersions(destVersion, model.agentVersion) < 0) {
    out.push({
      code: PRECHECK.version,
      subject: "destination",
      message: `destination controller version ${destVersion} is older than model agent version ${model.agentVersion}`,
    });
  }
  return out;
}

/** Every destination-side check (for MigrationTargetService.Prechecks). */
export function targetPrechecks(d: DestinationFacts, m: MigratingModel): PrecheckFailure[] {
  const out = versionPrechecks(d.controllerVersion, m);
  const format = m.descriptionFormat || UNSTATED_DESCRIPTION_FORMAT;
  if (!importableFormat(format)) {
    out.push({
      code: PRECHECK.descriptionFormat,
      subject: "destination",
      message:
        format > DESCRIPTION_FORMAT
          ? `source controller version ${m.controllerVersion} sends model description format ${format}, newer than destination controller version ${d.controllerVersion} imports (formats ${MIN_DESCRIPTION_FORMAT} to ${DESCRIPTION_FORMAT}); upgrade the destination first`
          : `source controller version ${m.controllerVersion} sends model description format ${format}, which destination controller version ${d.controllerVersion} no longer imports (formats ${MIN_DESCRIPTION_FORMAT} to ${DESCRIPTION_FORMAT}); upgrade the source first`,
    });
  }
  const subject = `${m.owner}/${m.name}`;
  if (d.cloud !== m.cloud) {
    out.push({
      code: PRECHECK.cloud,
      subject,
      message: `destination controller is in cloud "${d.cloud}", model is in cloud "${m.cloud}"`,
    });
  }
  if (d.cloudType !== m.cloudType) {
    out.push({
      code: PRECHECK.cloudType,
      subject,
      message: `destination cloud type "${d.cloudType}" differs from "${m.cloudType}"`,
    });
  }
  if (d.cloud === m.cloud && m.region && !d.regions.includes(m.region)) {
    out.push({
      code: PRECHECK.region,
      subject,
      message: `region "${m.region}" not available on destination controller`,
    });
  }
  const missing = [...new Set(m.users)].filter((u) => !d.existingUsers.has(u)).sort();
  if (missing.length) {
    out.push({ code: PRECHECK.missingUsers, subject: missing.join(","), message: missingUsersAdvisory(missing) });
  }
  if (d.modelWithSameName) {
    out.push({
      code: PRECHECK.nameExists,
      subject,
      message: `model named "${m.name}" already exists on destination controller`,
    });
  }
  if (d.modelWithSameUuid) {
    out.push({ code: PRECHECK.uuidExists, subject: m.uuid, message: "model with same UUID already exists" });
  }
  return out;
}

/**
 * Folds per-user MISSING_USER violations (one per user, as the destination
 * reports them) and any MISSING_USERS into the single advisory the spec
 * prescribes, listing every missing user, where the first of them was.
 */
export function collapseMissingUsers(all: readonly PrecheckFailure[]): PrecheckFailure[] {
  const users = new Set<string>();
  let at = -1;
  const rest: PrecheckFailure[] = [];
  for (const f of all) {
    if (f.code === PRECHECK.missingUser || f.code === PRECHECK.missingUsers) {
      if (at < 0) at = rest.length;
      for (const u of f.subject.split(",")) if (u.trim()) users.add(u.trim());
    } else {
      rest.push(f);
    }
  }
  if (at < 0) return rest;
  const list = [...users].sort();
  rest.splice(at, 0, { code: PRECHECK.missingUsers, subject: list.join(","), message: missingUsersAdvisory(list) });
  return rest;
}

/** Drops repeats (the same check reported by both sides), keeping the first. */
export function dedupeFailures(all: readonly PrecheckFailure[]): PrecheckFailure[] {
  const seen = new Set<string>();
  return all.filter((f) => {
    const k = `${f.code}\u0000${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
