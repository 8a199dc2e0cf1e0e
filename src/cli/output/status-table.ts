// The default `ferry status` view: the reference's tabular layout (model
// line, then App, Unit, Machine and Integration sections, each omitted when
// empty). The model line gets a Notes column only when the model has a
// status message (e.g. migration progress), cut at 120 characters.
import pc from "picocolors";
import type { FullStatus } from "../../../gen/ts/ferry/v1/model_pb.js";
import type { StatusInfo, WorkloadInfo } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { relationSides } from "./status-doc.js";
import { formatTable, truncate } from "./table.js";
import { formatClock, toDate } from "./time.js";

export const NOTES_MAX = 120;

/** "#42 14:03:07Z": a workload's last report. */
function reportCell(w: WorkloadInfo | undefined): string {
  if (!w || w.seq === 0n) return "";
  const at = toDate(w.time);
  return at ? `#${w.seq} ${formatClock(at)}` : `#${w.seq}`;
}

type Paint = (s: string) => string;

export interface Palette {
  status(value: string): string;
  notes: Paint;
}

const GOOD = new Set(["active", "idle", "started", "running", "available", "joined"]);
const BUSY = new Set([
  "waiting",
  "allocating",
  "pending",
  "maintenance",
  "executing",
  "busy",
  "joining",
  "provisioning",
]);
const BAD = new Set(["blocked", "error", "lost", "failed", "down", "terminated"]);

/** Green for good, yellow for busy, red for bad: status values as `ferry status` colours them. */
export function palette(color: boolean): Palette {
  const c = pc.createColors(color);
  return {
    status: (v) => (GOOD.has(v) ? c.green(v) : BUSY.has(v) ? c.yellow(v) : BAD.has(v) ? c.red(v) : v),
    notes: (s) => c.yellow(s),
  };
}

function current(s: StatusInfo | undefined): string {
  return s?.current || "unknown";
}

function section(header: string[], rows: string[][], rightAlign?: number[]): string {
  return formatTable([header, ...rows], { rightAlign });
}

export interface StatusTableOptions {
  /** The client's name for the controller. */
  controllerName: string;
  color?: boolean;
  /** The Integration section (shown unless `--no-relations`). */
  relations?: boolean;
}

export function statusTable(status: FullStatus, opts: StatusTableOptions): string {
  const p = palette(Boolean(opts.color));
  const m = status.model;
  const time = toDate(status.time) ?? new Date();
  const modelHeader = ["Model", "Controller", "Cloud/Region", "Version", "Timestamp"];
  const modelRow = [
    m?.name ?? "",
    opts.controllerName,
    `${m?.cloud ?? ""}/${m?.region ?? ""}`,
    m?.agentVersion ?? "",
    formatClock(time),
  ];
  const note = m?.status?.message ?? "";
  if (note) {
    modelHeader.push("Notes");
    modelRow.push(p.notes(truncate(note, NOTES_MAX)));
  }
  const parts = [section(modelHeader, [modelRow])];

  if (status.applications.length) {
    parts.push(
      section(
        ["App", "Status", "Scale", "Charm", "Rev", "Exposed", "Message"],
        status.applications.map((a) => [
          a.name,
          p.status(current(a.status)),
          String(a.unitCount || a.units.length),
          a.charm,
          String(a.charmRev),
          a.exposed ? "yes" : "no",
          a.status?.message ?? "",
        ]),
        [2, 4],
      ),
    );
  }

  const units = status.applications.flatMap((a) => a.units);
  if (units.length) {
    // Live agents' workloads report: their last report's sequence number and time.
    const reports = units.some((u) => u.workload && u.workload.seq > 0n);
    parts.push(
      section(
        ["Unit", "Workload", "Agent", "Machine", "Public address", ...(reports ? ["Report"] : []), "Message"],
        units.map((u) => [
          u.leader ? `${u.name}*` : u.name,
          p.status(current(u.workloadStatus)),
          p.status(current(u.agentStatus)),
          u.machine,
          u.publicAddress,
          ...(reports ? [reportCell(u.workload)] : []),
          u.workloadStatus?.message || u.agentStatus?.message || "",
        ]),
      ),
    );
  }

  if (status.machines.length) {
    parts.push(
      section(
        ["Machine", "State", "Address", "Inst id", "Base", "Message"],
        status.machines.map((mc) => [
          mc.id,
          p.status(current(mc.agentStatus)),
          mc.dnsName,
          mc.instanceId || "pending",
          mc.base ? `${mc.base.name}@${mc.base.channel}` : "",
          mc.instanceStatus?.message || mc.instanceStatus?.current || "",
        ]),
      ),
    );
  }

  if (status.relations.length && opts.relations !== false) {
    parts.push(
      section(
        ["Integration provider", "Requirer", "Interface", "Type", "Message"],
        status.relations.map((r) => {
          const s = relationSides(r);
          const st = current(r.status);
          return [s.provider, s.requirer, r.interface, s.type, st === "joined" ? "" : p.status(st)];
        }),
      ),
    );
  }
  return parts.join("\n\n");
}
