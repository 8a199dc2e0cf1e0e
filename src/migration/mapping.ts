// Migration rows as API messages: phases, timings, progress, the estimate of
// time left, and the summary ModelService shows on a model. The stored token
// never appears in any of them.
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { MigrationSchema, type Migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import {
  MigrationPhase,
  ModelMigrationSummarySchema,
  type ModelMigrationSummary,
} from "../../gen/ts/ferry/v1/resources_pb.js";
import { isPhase, type Phase } from "../domain/phases.js";
import { parseProgress, parseTimings, type MigrationRow, type ProgressRecord } from "../store/index.js";
import { MIGRATING_PREFIX } from "./record.js";

export function phaseToProto(p: string): MigrationPhase {
  return isPhase(p) ? MigrationPhase[p] : MigrationPhase.UNSPECIFIED;
}

export function phaseFromProto(p: MigrationPhase): Phase | undefined {
  const name = MigrationPhase[p];
  return name && isPhase(name) ? name : undefined;
}

function parseList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Time left while moving data, from the rates seen so far: entities per ms
 * while the document streams, bytes per ms while binaries upload (before the
 * upload starts, its bytes are priced at the document's byte rate). Unknown
 * (undefined) until there is a rate to go on.
 */
export function estimateRemainingMs(phase: string, p: ProgressRecord, now: number): number | undefined {
  if (phase !== "IMPORT" || p.importStartedAt === undefined) return undefined;
  let remaining = 0;
  let docBytesPerMs: number | undefined;
  const entTotal = p.entitiesTotal ?? 0;
  const entDone = p.entitiesDone ?? 0;
  if (p.uploadStartedAt === undefined) {
    const elapsed = Math.max(1, now - p.importStartedAt);
    if (entDone <= 0 || entTotal <= 0) return undefined;
    remaining += ((entTotal - entDone) * elapsed) / entDone;
    if (p.documentBytes) docBytesPerMs = (p.documentBytes * (entDone / entTotal)) / elapsed;
  }
  const bytesTotal = p.bytesTotal ?? 0;
  const bytesDone = p.bytesDone ?? 0;
  if (bytesTotal > bytesDone) {
    if (p.uploadStartedAt !== undefined && bytesDone > 0) {
      remaining += ((bytesTotal - bytesDone) * Math.max(1, now - p.uploadStartedAt)) / bytesDone;
    } else if (docBytesPerMs) {
      remaining += bytesTotal / docBytesPerMs;
    } else {
      return undefined;
    }
  }
  return Math.max(0, Math.round(remaining));
}

export function toMigration(row: MigrationRow, now = Date.now()): Migration {
  const p = parseProgress(row);
  const eta = estimateRemainingMs(row.phase, p, now);
  return create(MigrationSchema, {
    id: row.id,
    modelUuid: row.modelUuid,
    modelName: row.modelName,
    modelOwner: row.modelOwner,
    attempt: row.attempt,
    phase: phaseToProto(row.phase),
    phaseChangeTime: timestampFromMs(row.phaseChangedAt),
    statusMessage: row.statusMessage,
    startTime: timestampFromMs(row.startedAt),
    endTime: row.endedAt != null ? timestampFromMs(row.endedAt) : undefined,
    target: {
      controllerUuid: row.targetControllerUuid,
      controllerName: row.targetControllerName,
      addresses: parseList(row.targetAddresses),
      caCert: row.targetCaCert,
      // token: deliberately never filled in.
    },
    progress: {
      entitiesDone: BigInt(p.entitiesDone ?? 0),
      entitiesTotal: BigInt(p.entitiesTotal ?? 0),
      bytesDone: BigInt(p.bytesDone ?? 0),
      bytesTotal: BigInt(p.bytesTotal ?? 0),
      logsDone: BigInt(p.logsDone ?? 0),
      agentsReported: p.agentsReported ?? 0,
      agentsPending: p.agentsPending ?? 0,
      agentsTotal: p.agentsTotal ?? (p.agentsReported ?? 0) + (p.agentsPending ?? 0),
      agentsSwitched: p.agentsSwitched ?? 0,
      agentsChecked: p.agentsChecked ?? false,
    },
    phaseTimings: parseTimings(row).map((t) => ({
      phase: phaseToProto(t.phase),
      startTime: timestampFromMs(t.start),
      endTime: t.end !== undefined ? timestampFromMs(t.end) : undefined,
    })),
    estimatedTimeRemaining: eta !== undefined ? durationFromMs(eta) : undefined,
    failure: row.failure,
    initiatedBy: row.initiatedBy,
  });
}

/** What show-model shows about the latest migration (message without the "migrating: " prefix). */
export function toSummary(row: MigrationRow): ModelMigrationSummary {
  const message = row.statusMessage.startsWith(MIGRATING_PREFIX)
    ? row.statusMessage.slice(MIGRATING_PREFIX.length)
    : row.statusMessage;
  return create(ModelMigrationSummarySchema, {
    id: row.id,
    phase: phaseToProto(row.phase),
    message,
    startTime: timestampFromMs(row.startedAt),
    endTime: row.endedAt != null ? timestampFromMs(row.endedAt) : undefined,
  });
}
