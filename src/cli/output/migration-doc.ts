// How a migration reads: the show-migration document, the one-line progress
// shown while following one, and precheck failures (migration.md §1, §3).
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Migration, MigrationProgress } from "../../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { isTerminalPhase, phaseName } from "../../client/migration.js";
import { fingerprintPem } from "../../client/fingerprint.js";
import { relativeTime, toDate } from "./time.js";
import { formatDuration, humanBytes } from "./units.js";

type Doc = Record<string, unknown>;

function durationMs(d: Duration | undefined): number | undefined {
  return d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : undefined;
}

/** "120 of 340 entities, 1.2 MiB of 3.4 MiB" — only the parts that are known. */
export function progressSummary(p: MigrationProgress | undefined): string {
  if (!p) return "";
  const parts: string[] = [];
  if (p.entitiesTotal > 0n) parts.push(`${p.entitiesDone} of ${p.entitiesTotal} entities`);
  if (p.bytesTotal > 0n) parts.push(`${humanBytes(Number(p.bytesDone))} of ${humanBytes(Number(p.bytesTotal))}`);
  if (p.logsDone > 0n) parts.push(`${p.logsDone} log entries sent`);
  const agents = agentsLine(p);
  if (agents) parts.push(agents);
  return parts.join(", ");
}

/** "3 of 6 agents reported", "no agents connected"; undefined before any agent phase. */
export function agentsLine(p: MigrationProgress | undefined): string | undefined {
  if (!p) return undefined;
  const total = p.agentsTotal || p.agentsReported + p.agentsPending;
  if (total > 0) return `${p.agentsReported} of ${total} agents reported`;
  return p.agentsChecked ? "no agents connected" : undefined;
}

/** "agents switched: 5 of 6" once SUCCESS waited for them; undefined before. */
export function switchedLine(m: Migration): string | undefined {
  const p = m.progress;
  if (
    !p ||
    m.phase < MigrationPhase.SUCCESS ||
    m.phase === MigrationPhase.ABORT ||
    m.phase === MigrationPhase.ABORTDONE
  )
    return undefined;
  if (!p.agentsChecked && !p.agentsTotal) return undefined;
  const total = p.agentsTotal || p.agentsReported + p.agentsPending;
  if (m.phase === MigrationPhase.SUCCESS && p.agentsPending > 0) return undefined;
  return total ? `agents switched: ${p.agentsSwitched} of ${total}` : "agents switched: none (no agents connected)";
}

/** "IMPORT: uploading model binaries into destination controller" */
export function phaseLine(m: Migration): string {
  const phase = phaseName(m.phase);
  return m.statusMessage ? `${phase}: ${m.statusMessage}` : phase;
}

/** Seconds with millisecond precision: a number for scripts, beside the human duration. */
function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/**
 * The show-migration document. Human fields (relative times, "1.2 MiB of 3.4
 * MiB", "4.2s") sit beside machine-readable ones: counts and bytes as
 * numbers, times as RFC 3339 strings, durations as `*-seconds` numbers, so a
 * script never parses prose. `targetAlias` is this client's own name for the
 * destination when it differs from the one the migration recorded.
 */
export function migrationDoc(m: Migration, now: Date = new Date(), targetAlias?: string): Doc {
  const start = toDate(m.startTime);
  const end = toDate(m.endTime);
  const doc: Doc = {
    id: m.id,
    model: m.modelOwner ? `${m.modelOwner}/${m.modelName}` : m.modelName,
    "model-uuid": m.modelUuid,
    attempt: m.attempt,
    phase: phaseName(m.phase),
    status: m.statusMessage,
  };
  const since = toDate(m.phaseChangeTime);
  if (since && !end) doc["phase-since"] = relativeTime(since, now);
  if (since) doc["phase-time"] = since.toISOString();
  if (start) {
    doc.start = relativeTime(start, now);
    doc["start-time"] = start.toISOString();
  }
  if (end) {
    doc.end = relativeTime(end, now);
    doc["end-time"] = end.toISOString();
  }
  if (start) {
    const ms = (end ?? now).getTime() - start.getTime();
    doc.duration = formatDuration(ms);
    doc["duration-seconds"] = seconds(ms);
  }
  const p = m.progress;
  if (p) {
    const summary = [progressSummary(p), switchedLine(m)].filter(Boolean).join(", ");
    const progress: Doc = {
      summary,
      entities: { done: Number(p.entitiesDone), total: Number(p.entitiesTotal) },
      bytes: { done: Number(p.bytesDone), total: Number(p.bytesTotal) },
      "logs-sent": Number(p.logsDone),
    };
    if (p.agentsChecked || p.agentsTotal) {
      progress.agents = {
        total: p.agentsTotal || p.agentsReported + p.agentsPending,
        reported: p.agentsReported,
        pending: p.agentsPending,
        switched: p.agentsSwitched,
      };
    }
    doc.progress = progress;
  }
  if (m.phaseTimings.length) {
    const timings: Doc = {};
    const phases: Doc[] = [];
    for (const t of m.phaseTimings) {
      const s = toDate(t.startTime);
      const e = toDate(t.endTime);
      if (!s) continue;
      const ms = (e ?? now).getTime() - s.getTime();
      const took = formatDuration(ms);
      timings[phaseName(t.phase)] = e ? took : `${took} (running)`;
      const row: Doc = { phase: phaseName(t.phase), "start-time": s.toISOString() };
      if (e) row["end-time"] = e.toISOString();
      row["duration-seconds"] = seconds(ms);
      row.running = !e;
      phases.push(row);
    }
    doc.timings = timings;
    doc["phase-timings"] = phases;
  }
  const left = durationMs(m.estimatedTimeRemaining);
  if (left !== undefined && !isTerminalPhase(m.phase)) {
    doc["time-left"] = `about ${formatDuration(left)}`;
    doc["time-left-seconds"] = seconds(left);
  }
  if (m.failure) doc.failure = m.failure;
  const t = m.target;
  if (t) {
    const target: Doc = { controller: targetAlias ?? t.controllerName };
    if (targetAlias && t.controllerName && targetAlias !== t.controllerName) target["recorded-name"] = t.controllerName;
    target.uuid = t.controllerUuid;
    target.addresses = t.addresses;
    try {
      if (t.caCert) target["ca-fingerprint"] = fingerprintPem(t.caCert);
    } catch {
      // An unparsable PEM is shown without a fingerprint rather than failing the command.
    }
    doc.target = target;
  }
  if (m.initiatedBy) doc["initiated-by"] = m.initiatedBy;
  return doc;
}

export interface PrecheckItem {
  message: string;
}

/**
 * Every precheck failure, each message verbatim (the missing-users advisory
 * is several lines that tests and operators grep as a block). One failure is
 * the error itself; several get a count line first, multi-line ones last.
 */
export function precheckReport(
  failures: PrecheckItem[],
  model: string,
  destination: string,
): { message: string; detail?: string } {
  if (failures.length === 1) return { message: failures[0]!.message };
  const single = failures.filter((f) => !f.message.includes("\n"));
  const multi = failures.filter((f) => f.message.includes("\n"));
  return {
    message: `${failures.length} prechecks failed: model "${model}" cannot be migrated to controller "${destination}"`,
    detail: [...single, ...multi].map((f) => f.message).join("\n"),
  };
}
