// Status values and the rules that combine them: the simulated lifecycle of
// machines, units and relations, the application status derived from its
// units, and log levels.

export const MachineAgent = { pending: "pending", started: "started", down: "down", error: "error" } as const;
export const Instance = { pending: "pending", running: "running" } as const;
export const UnitAgent = {
  allocating: "allocating",
  executing: "executing",
  idle: "idle",
  error: "error",
  lost: "lost",
} as const;
export const Workload = {
  waiting: "waiting",
  maintenance: "maintenance",
  active: "active",
  blocked: "blocked",
  error: "error",
  unknown: "unknown",
  terminated: "terminated",
} as const;
export const RelationStatus = { joining: "joining", joined: "joined", broken: "broken" } as const;
export const ModelStatus = { available: "available", busy: "busy" } as const;

/** Messages the reference shows at the same points, so operators recognise them. */
export const Messages = {
  waitingForMachine: "waiting for machine",
  /** The machine is up, its unit's agent has not reported yet. */
  agentInitialising: "agent initialising",
  installing: "installing charm software",
  stopping: "cleaning up prior to unit removal",
} as const;

// Worst first: the reference's status severity order for deriving an
// application's status from its units. Statuses not listed rank lowest.
const SEVERITY = ["error", "blocked", "maintenance", "waiting", "active", "terminated", "unknown"];

function severity(status: string): number {
  const i = SEVERITY.indexOf(status);
  return i < 0 ? SEVERITY.length : i;
}

export interface StatusValue {
  current: string;
  message: string;
  since: number;
}

/**
 * An application's status: its worst unit workload status (error > blocked >
 * maintenance > waiting > active), with that unit's message and time; among
 * equally bad units the earliest wins, so the status does not flap between
 * them. An application without units is "unknown".
 */
export function deriveApplicationStatus(units: StatusValue[], fallbackSince: number): StatusValue {
  let worst: StatusValue | undefined;
  for (const u of units) {
    if (
      !worst ||
      severity(u.current) < severity(worst.current) ||
      (severity(u.current) === severity(worst.current) && u.since < worst.since)
    ) {
      worst = u;
    }
  }
  return worst ? { ...worst } : { current: Workload.unknown, message: "", since: fallbackSince };
}

// ---- log levels --------------------------------------------------------------

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export function isLogLevelName(s: string): s is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** The levels at or above `min` (for filtering log entries). */
export function levelsAtLeast(min: LogLevelName): LogLevelName[] {
  return LOG_LEVELS.slice(LOG_LEVELS.indexOf(min));
}

/** Parses a user-given level ("info", "WARN", ...); undefined when unknown. */
export function parseLogLevel(text: string): LogLevelName | undefined {
  const t = text.trim().toUpperCase();
  if (t === "WARN") return "WARNING";
  if (t === "TRACE") return "DEBUG";
  return isLogLevelName(t) ? t : undefined;
}

// ---- simulated addresses ------------------------------------------------------

/** A short, stable identifier of a model used in instance ids and hostnames. */
export function modelShort(modelUuid: string): string {
  return modelUuid.replace(/-/g, "").slice(0, 6);
}

/**
 * A deterministic fake private address for machine `seq` of a model: the
 * second octet comes from the model UUID, so models rarely share a range.
 */
export function fakeAddress(modelUuid: string, seq: number): string {
  const octet2 = parseInt(modelUuid.replace(/-/g, "").slice(0, 2), 16) || 0;
  const octet3 = Math.floor(seq / 250) % 256;
  const octet4 = (seq % 250) + 2;
  return `10.${octet2}.${octet3}.${octet4}`;
}
