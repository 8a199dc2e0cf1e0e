// Model log entries (what `ferry debug-log` shows). seq is global and only
// grows, so "entries after seq N" is a stable cursor for streaming and for
// resuming a log transfer.
import { and, asc, desc, eq, gt, inArray } from "drizzle-orm";
import type { Db } from "./db.js";
import { logEntries } from "./schema.js";

export type LogRow = typeof logEntries.$inferSelect;

export interface NewLogEntry {
  entity: string;
  level: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  module: string;
  message: string;
  /** Milliseconds since the epoch; now when omitted. */
  time?: number;
}

/** Appends one entry to a model's log; returns its seq. */
export function appendLogEntry(db: Db, modelUuid: string, e: NewLogEntry): number {
  const row = db
    .insert(logEntries)
    .values({
      modelUuid,
      time: e.time ?? Date.now(),
      entity: e.entity,
      level: e.level,
      module: e.module,
      message: e.message,
    })
    .returning({ seq: logEntries.seq })
    .get();
  return row.seq;
}

export interface LogQuery {
  /** Only entries with seq greater than this. */
  afterSeq?: number;
  /** Only the last `limit` matching entries (0/undefined: all). */
  limit?: number;
  /** Only these levels (undefined: all). */
  levels?: string[];
  /** At most this many entries, oldest first (for paging through history). */
  max?: number;
}

/** Matching entries in seq order. */
export function readLogEntries(db: Db, modelUuid: string, q: LogQuery = {}): LogRow[] {
  const conds = [eq(logEntries.modelUuid, modelUuid)];
  if (q.afterSeq) conds.push(gt(logEntries.seq, q.afterSeq));
  if (q.levels) conds.push(inArray(logEntries.level, q.levels));
  if (q.limit && q.limit > 0) {
    // The last N: read newest first, then put them back in order.
    return db
      .select()
      .from(logEntries)
      .where(and(...conds))
      .orderBy(desc(logEntries.seq))
      .limit(q.limit)
      .all()
      .reverse();
  }
  const query = db
    .select()
    .from(logEntries)
    .where(and(...conds))
    .orderBy(asc(logEntries.seq));
  return q.max ? query.limit(q.max).all() : query.all();
}

/** The newest entry's time for a model, or undefined when it has none. */
export function latestLogTime(db: Db, modelUuid: string): number | undefined {
  return db
    .select({ time: logEntries.time })
    .from(logEntries)
    .where(eq(logEntries.modelUuid, modelUuid))
    .orderBy(desc(logEntries.seq))
    .limit(1)
    .get()?.time;
}
