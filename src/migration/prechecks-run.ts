// Running every precheck for a migration: the source's own (one read
// snapshot of the store), then the connection to the destination (pinned
// CA, UUID check), then the destination's Prechecks RPC. Used by
// StartMigration (and its dry run) and again by the worker in QUIESCE.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DESCRIPTION_FORMAT } from "../domain/description.js";
import { MigratingModelInfoSchema, type MigratingModelInfo } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import type { ControllerIdentity } from "../domain/controller.js";
import {
  collapseMissingUsers,
  dedupeFailures,
  sourcePrechecks,
  tokenRejected,
  unreachable,
  uuidMismatch,
  versionPrechecks,
  type PrecheckFailure,
  type SourceSnapshot,
} from "../domain/prechecks.js";
import type { ModelRow, Repos, Store } from "../store/index.js";
import {
  connectTarget,
  describeError,
  WrongControllerError,
  type TargetConnection,
  type TargetSpec,
} from "./target-client.js";

export interface SourceFacts {
  snapshot: SourceSnapshot;
  info: MigratingModelInfo;
  counts: { machines: number; applications: number; units: number; relations: number; users: number };
}

/** The model as the destination is told about it; undefined when the model is gone. */
export async function readModelInfo(
  tx: Repos,
  controller: ControllerIdentity,
  modelUuid: string,
): Promise<MigratingModelInfo | undefined> {
  const m = await tx.models.byUuid(modelUuid);
  return m && modelInfoOf(tx, controller, m);
}

async function modelInfoOf(tx: Repos, controller: ControllerIdentity, m: ModelRow): Promise<MigratingModelInfo> {
  const info: MessageInitShape<typeof MigratingModelInfoSchema> = {
    uuid: m.uuid,
    name: m.name,
    owner: m.owner,
    cloud: m.cloud,
    cloudType: m.cloudType,
    region: m.region,
    agentVersion: m.agentVersion,
    controllerVersion: controller.version,
    controllerUuid: controller.uuid,
    users: (await tx.models.users(m.uuid)).map((u) => u.user),
    descriptionFormat: DESCRIPTION_FORMAT,
  };
  return create(MigratingModelInfoSchema, info);
}

/** Reads what the source checks decide on (call in one read transaction); undefined when the model is gone. */
export async function readSourceFacts(
  tx: Repos,
  controller: ControllerIdentity,
  modelUuid: string,
  targetControllerUuid: string,
  /** The migration doing the checking (QUIESCE): it does not count as "another". */
  selfMigrationId?: string,
): Promise<SourceFacts | undefined> {
  const m = await tx.models.byUuid(modelUuid);
  if (!m) return undefined;
  const info = await modelInfoOf(tx, controller, m);
  const active = await tx.migrations.active(modelUuid);
  const rows = await tx.migrations.precheckRows(modelUuid);
  const snapshot: SourceSnapshot = {
    controllerUuid: controller.uuid,
    model: { uuid: m.uuid, name: m.name, owner: m.owner, life: m.life, isController: m.isController },
    // A model already frozen for export without a migration row would be an
    // inconsistency; still, never start a second export of it.
    otherMigrationActive: active ? active.id !== selfMigrationId : m.migrationMode !== "none",
    targetControllerUuid,
    machines: rows.machines,
    units: rows.units,
    relations: rows.relations,
  };
  return {
    snapshot,
    info,
    counts: {
      machines: rows.machines.length,
      applications: rows.applicationCount,
      units: rows.units.length,
      relations: rows.relations.length,
      users: info.users.length,
    },
  };
}

export interface PrecheckResult {
  failures: PrecheckFailure[];
  /** Open connection to the verified destination (caller closes), when one was made. */
  conn?: TargetConnection;
  /** Whether the destination could not be reached at all (worth retrying later). */
  unreachable: boolean;
}

/**
 * Runs the destination part of the prechecks, connecting first. Every
 * failure becomes a PrecheckFailure; nothing throws except the signal.
 */
export async function destinationPrechecks(
  spec: TargetSpec,
  info: MigratingModelInfo,
  opts: { signal?: AbortSignal; unaryTimeoutMs?: number; keepConnection?: boolean } = {},
): Promise<PrecheckResult> {
  let conn: TargetConnection;
  try {
    conn = await connectTarget(spec, opts);
  } catch (err) {
    if (err instanceof WrongControllerError) {
      return { failures: [uuidMismatch(err.got, err.expected)], unreachable: false };
    }
    return { failures: [unreachable(describeError(err))], unreachable: true };
  }
  const failures: PrecheckFailure[] = [];
  let down = false;
  try {
    const res = await conn.target.prechecks({ model: info }, { signal: opts.signal });
    failures.push(...versionPrechecks(res.controllerVersion || conn.info.version, info));
    failures.push(...res.violations.map((v) => ({ code: v.code, subject: v.subject, message: v.message })));
  } catch (err) {
    const code = err instanceof ConnectError ? err.code : Code.Unknown;
    if (code === Code.Unauthenticated || code === Code.PermissionDenied) {
      failures.push(tokenRejected(describeError(err)));
    } else {
      down = true;
      failures.push(unreachable(describeError(err)));
    }
  }
  if (!opts.keepConnection) {
    conn.close();
    return { failures: collapseMissingUsers(dedupeFailures(failures)), unreachable: down };
  }
  return { failures: collapseMissingUsers(dedupeFailures(failures)), conn, unreachable: down };
}

/** All prechecks: source facts first, then the destination unless the target is this controller. */
export async function runPrechecks(
  store: Store,
  controller: ControllerIdentity,
  modelUuid: string,
  spec: TargetSpec,
  opts: { selfMigrationId?: string; signal?: AbortSignal; unaryTimeoutMs?: number } = {},
): Promise<PrecheckResult & { facts?: SourceFacts }> {
  const facts = await store.read((tx) =>
    readSourceFacts(tx, controller, modelUuid, spec.controllerUuid, opts.selfMigrationId),
  );
  if (!facts) {
    return {
      failures: [{ code: "MODEL_NOT_FOUND", subject: modelUuid, message: "model not found" }],
      unreachable: false,
    };
  }
  const failures = sourcePrechecks(facts.snapshot);
  // Talking to ourselves would only confuse the destination checks.
  if (facts.snapshot.targetControllerUuid.toLowerCase() === controller.uuid.toLowerCase()) {
    return { failures, facts, unreachable: false };
  }
  const dest = await destinationPrechecks(spec, facts.info, opts);
  return { failures: dedupeFailures([...failures, ...dest.failures]), facts, unreachable: dest.unreachable };
}
