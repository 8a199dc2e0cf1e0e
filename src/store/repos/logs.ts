// Model log entries (what `ferry debug-log` shows). seq is global and only
// grows, so "entries after seq N" is a stable cursor for streaming and for
// resuming a log transfer.
import { and, asc, count, desc, eq, gt, inArray, like, lte, not, or, type SQL } from "drizzle-orm";
import type { LogRow } from "../rows.js";
import { first } from "../session.js";
import { Repo } from "./base.js";

export interface NewLogEntry {
  entity: string;
  level: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  module: string;
  message: string;
  /** Milliseconds since the epoch; now when omitted. */
  time?: number;
}

/**
 * An entity filter: exact tags, or every tag that starts with `prefix` (an
 * application's units: "unit-wordpress-"). Names hold no LIKE wildcards
 * (they are validated lower-case letters, digits and '-').
 */
export interface LogMatch {
  tag?: string;
  prefix?: string;
}

export interface LogQuery {
  /** Only entries with seq greater than this. */
  afterSeq?: number;
  /** Only the last `limit` matching entries (0/undefined: all). */
  limit?: number;
  /** Only these levels (undefined: all). */
  levels?: string[];
  /** Only entries of these entities (see LogMatch); empty/undefined: every entity. */
  includeEntities?: LogMatch[];
  /** Not the entries of these entities. */
  excludeEntities?: LogMatch[];
  /** Only entries of these modules (a module matches its sub-modules too). */
  includeModules?: string[];
  /** Not the entries of these modules. */
  excludeModules?: string[];
  /** At most this many entries, oldest first (for paging through history). */
  max?: number;
}

export class LogRepo extends Repo {
  /** Appends one entry to a model's log; returns its seq. */
  async append(modelUuid: string, e: NewLogEntry): Promise<number> {
    const { logEntries } = this.t;
    const [row] = await this.db
      .insert(logEntries)
      .values({
        modelUuid,
        time: e.time ?? Date.now(),
        entity: e.entity,
        level: e.level,
        module: e.module,
        message: e.message,
      })
      .returning({ seq: logEntries.seq });
    this.s.touch(modelUuid, "log");
    return row!.seq;
  }

  /** Matching entries in seq order. */
  async read(modelUuid: string, q: LogQuery = {}): Promise<LogRow[]> {
    const { logEntries } = this.t;
    const conds = [eq(logEntries.modelUuid, modelUuid)];
    if (q.afterSeq) conds.push(gt(logEntries.seq, q.afterSeq));
    if (q.levels) conds.push(inArray(logEntries.level, q.levels));
    const entity = (m: LogMatch): SQL =>
      m.prefix !== undefined ? like(logEntries.entity, `${m.prefix}%`) : eq(logEntries.entity, m.tag ?? "");
    const module = (name: string): SQL => or(eq(logEntries.module, name), like(logEntries.module, `${name}.%`))!;
    if (q.includeEntities?.length) conds.push(or(...q.includeEntities.map(entity))!);
    if (q.excludeEntities?.length) conds.push(not(or(...q.excludeEntities.map(entity))!));
    if (q.includeModules?.length) conds.push(or(...q.includeModules.map(module))!);
    if (q.excludeModules?.length) conds.push(not(or(...q.excludeModules.map(module))!));
    if (q.limit && q.limit > 0) {
      // The last N: read newest first, then put them back in order.
      const rows = await this.db
        .select()
        .from(logEntries)
        .where(and(...conds))
        .orderBy(desc(logEntries.seq))
        .limit(q.limit);
      return rows.reverse();
    }
    const query = this.db
      .select()
      .from(logEntries)
      .where(and(...conds))
      .orderBy(asc(logEntries.seq));
    return q.max ? query.limit(q.max) : query;
  }

  /** The newest entry's time for a model, or undefined when it has none. */
  async latestTime(modelUuid: string): Promise<number | undefined> {
    const { logEntries } = this.t;
    return first(
      await this.db
        .select({ time: logEntries.time })
        .from(logEntries)
        .where(eq(logEntries.modelUuid, modelUuid))
        .orderBy(desc(logEntries.seq))
        .limit(1),
    )?.time;
  }

  /** Entries of a model up to and including `seq` (how many a log transfer already delivered). */
  async countUpTo(modelUuid: string, seq: number): Promise<number> {
    const { logEntries } = this.t;
    const row = first(
      await this.db
        .select({ n: count() })
        .from(logEntries)
        .where(and(eq(logEntries.modelUuid, modelUuid), lte(logEntries.seq, seq))),
    );
    return row?.n ?? 0;
  }
}
