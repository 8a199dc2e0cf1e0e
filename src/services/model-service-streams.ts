// ModelService: full status, the status watch and the log stream. Streams
// wake on ChangeHub notifications rather than polling, coalesce bursts, end
// when the caller goes away (ctx.signal) or the model is deleted, and always
// unsubscribe on the way out.
import { processLoad } from "../load.js";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { FullStatus, ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import type { LogEntry } from "../../gen/ts/ferry/v1/resources_pb.js";
import { levelsAtLeast, LOG_LEVELS, parseLogLevel } from "../domain/status.js";
import type { ModelAccessLevel } from "../domain/access.js";
import { validateApplicationName } from "../domain/names.js";
import type { ChangeHub, LogMatch, LogRow, ModelChangeKind, ModelRow, Repos } from "../store/index.js";
import { principalOf, type Principal } from "./context.js";
import { badField, invalidArgument, notFound } from "./errors.js";
import { statusInfo, toFullStatus, toLogEntry } from "./model-mapping.js";
import { sleep } from "../util/sleep.js";
import { statusParts } from "./status-parts.js";
import { findRedirectFor, redirectError, resolveModel } from "./model-access.js";
import { clock, describeModel, modelFor, recordConnection, type ModelServiceDeps } from "./model-service-support.js";

const DEFAULT_WATCH_INTERVAL_MS = 100;
/** Log entries per stream message; also capped by size to stay far below 4 MiB. */
const LOG_BATCH = 500;
const LOG_BATCH_BYTES = 1024 * 1024;

/** Waits for relevant changes of one model; must be closed. */
export class ChangeWaiter {
  private pending = false;
  private deleted = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly onAbort = () => this.wake?.();

  constructor(
    hub: ChangeHub,
    modelUuid: string,
    relevant: readonly ModelChangeKind[],
    private readonly signal: AbortSignal,
  ) {
    this.unsubscribe = hub.subscribe(modelUuid, (c) => {
      if (c.kinds.includes("deleted")) this.deleted = true;
      if (this.deleted || c.kinds.some((k) => relevant.includes(k))) {
        this.pending = true;
        this.wake?.();
      }
    });
    signal.addEventListener("abort", this.onAbort);
  }

  /** Resolves true when a change is pending; false when the stream should end. */
  async next(): Promise<boolean> {
    while (!this.pending && !this.signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.signal.aborted || this.deleted) return false;
    return true;
  }

  /** Forgets pending changes: the caller is about to read the current state. */
  clear(): void {
    this.pending = false;
  }

  get modelDeleted(): boolean {
    return this.deleted;
  }

  close(): void {
    this.unsubscribe();
    this.signal.removeEventListener("abort", this.onAbort);
    this.wake?.();
  }
}

function batches(rows: LogRow[]): LogEntry[][] {
  const out: LogEntry[][] = [];
  let cur: LogEntry[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = r.message.length + r.entity.length + r.module.length + 64;
    if (cur.length && (cur.length >= LOG_BATCH || bytes + size > LOG_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(toLogEntry(r));
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Bound on cached status documents (each a few KiB for small models). */
const STATUS_CACHE_MAX = 256;
/**
 * Bound on their machines + units + relations together, since a document of a
 * big model is big in memory (100,000 units: about 125,000 of them, some
 * 100 MiB); a model over the bound is not cached at all.
 */
const STATUS_CACHE_WEIGHT = 250_000;

interface CachedStatus {
  /** The model's version it was built at (it moves with every committed change of the model). */
  version: number;
  /** Machines + units + relations. */
  weight: number;
  status: FullStatus;
  /** Its StreamStatus parts, once asked for. */
  parts?: FullStatus[];
}

type StreamHandlers = Pick<
  ServiceImpl<typeof ModelService>,
  "getStatus" | "watchStatus" | "streamStatus" | "streamLogs" | "getStatusHistory"
>;

const HISTORY_KINDS = new Set(["agent", "instance", "workload", "report", "model", "relation"]);

/** An entity tag from what a user types: "0" -> machine-0, "app/0" -> unit-app-0, tags as they are. */
export function entityTag(text: string): string | undefined {
  if (text === "model") return text;
  if (/^\d+$/.test(text)) return `machine-${text}`;
  const unit = /^([a-z][a-z0-9-]*)\/(\d+)$/.exec(text);
  if (unit) return `unit-${unit[1]}-${unit[2]}`;
  if (/^(machine-\d+|unit-[a-z][a-z0-9-]*-\d+|application-[a-z][a-z0-9-]*)$/.test(text)) return text;
  return undefined;
}

/** A debug-log entity filter from what a user types (entityTag's forms, or an application name). */
export function logMatchOf(text: string): LogMatch | undefined {
  const tag = entityTag(text);
  if (tag) return { tag };
  if (validateApplicationName(text) === undefined) return { prefix: `unit-${text}-` };
  return undefined;
}

const MODULE_RE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

function logFilters(req: { include: string[]; exclude: string[]; includeModule: string[]; excludeModule: string[] }) {
  const problems: { field: string; description: string }[] = [];
  const entities = (field: string, list: string[]) =>
    list.flatMap((text, i) => {
      const m = logMatchOf(text);
      if (!m) {
        problems.push({
          field: `${field}[${i}]`,
          description: `"${text}" is not an entity: use e.g. "0", "machine-0", "app/0", "unit-app-0", "app" or "model"`,
        });
        return [];
      }
      // An application name is the application's own entries and its units'.
      return m.prefix ? [m, { tag: `application-${text}` }] : [m];
    });
  const modules = (field: string, list: string[]) => {
    list.forEach((text, i) => {
      if (!MODULE_RE.test(text))
        problems.push({ field: `${field}[${i}]`, description: `"${text}" is not a module name, e.g. "ferry.uniter"` });
    });
    return list;
  };
  const q = {
    includeEntities: entities("include", req.include),
    excludeEntities: entities("exclude", req.exclude),
    includeModules: modules("include_module", req.includeModule),
    excludeModules: modules("exclude_module", req.excludeModule),
  };
  if (problems.length) throw invalidArgument(problems);
  return q;
}

export function streamHandlers(deps: ModelServiceDeps): StreamHandlers {
  const { store } = deps;
  const interval = deps.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS;

  // Status is read far more often than a model changes (dashboards, watch
  // loops, `ferry status` in scripts), and building it is most of the cost of
  // a status call. Cache it per model and viewpoint (admins see every model
  // user, others only themselves) while the model's version stands: every
  // committed change of the model, on any node, moves it.
  const cache = new Map<string, CachedStatus>();
  let cachedWeight = 0;

  /**
   * The cache entry for `model` (as read in `tx`) as `p` sees it, built from
   * the same snapshot if stale; undefined once the model is gone.
   */
  async function entryOf(
    tx: Repos,
    p: Principal,
    model: ModelRow,
    access: ModelAccessLevel,
  ): Promise<CachedStatus | undefined> {
    const key = access === "admin" ? `${model.uuid}|admin` : `${model.uuid}|${access}|${p.user}`;
    const hit = cache.get(key);
    if (hit && hit.version === model.version) return hit;
    const snap = await tx.status.snapshot(model.uuid);
    const status = snap
      ? toFullStatus(
          snap,
          await describeModel(deps, tx, snap.model, p.user, access, {
            machines: snap.machines.length,
            units: snap.units.length,
          }),
          clock(deps),
        )
      : undefined;
    if (hit) {
      cache.delete(key);
      cachedWeight -= hit.weight;
    }
    if (!status) return undefined;
    const units = status.applications.reduce((n, a) => n + a.units.length, 0);
    const entry: CachedStatus = {
      version: snap!.model.version,
      weight: status.machines.length + units + status.relations.length,
      status,
    };
    if (cache.size >= STATUS_CACHE_MAX || cachedWeight + entry.weight > STATUS_CACHE_WEIGHT) {
      cache.clear();
      cachedWeight = 0;
    }
    if (entry.weight <= STATUS_CACHE_WEIGHT) {
      cache.set(key, entry);
      cachedWeight += entry.weight;
    }
    return entry;
  }

  /**
   * The model's cache entry as the principal may see it, resolved again each
   * time (access may have been revoked, or the model migrated away: the
   * caller then gets the redirect error).
   */
  async function resolvedEntry(p: Principal, ref: string): Promise<CachedStatus | undefined> {
    // On a cache hit this is one statement (the model and the caller's
    // access); a miss builds the status, and then the store runs it again
    // in one snapshot (so the call is counted once, after).
    let seen: ModelRow | undefined;
    const entry = await store.read(
      async (tx) => {
        const { model, access } = await resolveModel(tx, p, ref, "read");
        seen = model;
        if (p.kind === "user") recordConnection(deps, model, p.user);
        return entryOf(tx, p, model, access);
      },
      { oneStatement: true },
    );
    if (seen) processLoad.models.record(seen.uuid, `${seen.owner}/${seen.name}`, "read");
    return entry;
  }

  /** The model's full status as the principal may see it; undefined once it is gone. */
  async function fullStatus(p: Principal, ref: string): Promise<FullStatus | undefined> {
    const entry = await resolvedEntry(p, ref);
    return entry && { ...entry.status, time: timestampFromMs(clock(deps)) };
  }

  /** StreamStatus's parts, cut once per cached status (cutting a big one costs about as much as building it). */
  async function partsOf(p: Principal, ref: string): Promise<FullStatus[] | undefined> {
    const entry = await resolvedEntry(p, ref);
    if (!entry) return undefined;
    entry.parts ??= statusParts(entry.status);
    const [first, ...rest] = entry.parts;
    return [{ ...first!, time: timestampFromMs(clock(deps)) }, ...rest];
  }

  return {
    async getStatus(req, ctx) {
      const status = await fullStatus(principalOf(ctx), req.model);
      if (!status) throw notFound(`model "${req.model}"`, "MODEL_NOT_FOUND");
      return { status };
    },

    async *streamStatus(req, ctx) {
      const parts = await partsOf(principalOf(ctx), req.model);
      if (!parts) throw notFound(`model "${req.model}"`, "MODEL_NOT_FOUND");
      for (const part of parts) {
        if (ctx.signal.aborted) return;
        yield { status: part };
      }
    },

    async *watchStatus(req, ctx) {
      const { model, principal } = await modelFor(deps, ctx, req.model, "read");
      // Subscribe before the first read, so no change between them is lost.
      const waiter = new ChangeWaiter(deps.changes, model.uuid, ["status", "workload", "config"], ctx.signal);
      const counted = processLoad.streamOpened(model.uuid);
      try {
        let status = await fullStatus(principal, model.uuid);
        if (!status) return;
        yield { status };
        let lastSent = Date.now();
        while (await waiter.next()) {
          // Coalesce: at most one update per interval, however many changes.
          await sleep(lastSent + interval - Date.now(), ctx.signal);
          if (ctx.signal.aborted || waiter.modelDeleted) break;
          waiter.clear();
          status = await fullStatus(principal, model.uuid);
          if (!status) break;
          yield { status };
          lastSent = Date.now();
        }
        // Gone because it migrated away: end with the redirect, as a new call would.
        if (!ctx.signal.aborted) {
          const moved = await store.read(async (tx) =>
            (await tx.models.byUuid(model.uuid)) ? undefined : findRedirectFor(tx, principal, model.uuid),
          );
          if (moved) throw redirectError(moved);
        }
      } finally {
        counted();
        waiter.close();
      }
    },

    async getStatusHistory(req, ctx) {
      const entity = entityTag(req.entity);
      if (!entity)
        throw badField("entity", `"${req.entity.slice(0, 80)}" is not a machine id, unit name or entity tag`);
      for (const k of req.kinds)
        if (!HISTORY_KINDS.has(k))
          throw badField("kinds", `unknown kind "${k.slice(0, 40)}": use ${[...HISTORY_KINDS].join(", ")}`);
      if (req.limit < 0 || req.limit > 10_000) throw badField("limit", "between 0 and 10000");
      if (req.beforeId < 0n) throw badField("before_id", "must not be negative");
      const { model } = await modelFor(deps, ctx, req.model, "read");
      const page = await store.read((tx) =>
        tx.status.page(model.uuid, entity, {
          kinds: req.kinds,
          limit: req.limit || 100,
          beforeId: Number(req.beforeId),
        }),
      );
      return {
        entity,
        more: page.more,
        entries: page.rows.map((r) => ({
          id: BigInt(r.id),
          kind: r.kind,
          status: statusInfo(r.status, r.message, r.since),
          seq: BigInt(r.seq ?? 0),
        })),
      };
    },

    async *streamLogs(req, ctx) {
      const { model } = await modelFor(deps, ctx, req.model, "read");
      const min = req.level ? parseLogLevel(req.level) : "DEBUG";
      if (!min) throw badField("level", `unknown level "${req.level}": use one of ${LOG_LEVELS.join(", ")}`);
      if (req.limit < 0) throw badField("limit", "must not be negative");
      if (req.afterSeq < 0n) throw badField("after_seq", "must not be negative");
      const levels = min === "DEBUG" ? undefined : levelsAtLeast(min);
      const filters = logFilters(req);
      const waiter = req.follow ? new ChangeWaiter(deps.changes, model.uuid, ["log"], ctx.signal) : undefined;
      try {
        let last = Number(req.afterSeq);
        if (req.limit > 0) {
          const rows = await store.read((tx) =>
            tx.logs.read(model.uuid, { afterSeq: last, limit: req.limit, levels, ...filters }),
          );
          for (const entries of batches(rows)) yield { entries };
          if (rows.length) last = rows[rows.length - 1]!.seq;
        }
        for (;;) {
          // Drain everything after `last`, page by page, then wait for more.
          for (;;) {
            const rows = await store.read((tx) =>
              tx.logs.read(model.uuid, { afterSeq: last, levels, max: LOG_BATCH, ...filters }),
            );
            if (!rows.length) break;
            for (const entries of batches(rows)) yield { entries };
            last = rows[rows.length - 1]!.seq;
            if (rows.length < LOG_BATCH || ctx.signal.aborted) break;
          }
          if (!waiter || !(await waiter.next())) return;
          waiter.clear();
        }
      } finally {
        waiter?.close();
      }
    },
  };
}
