// Following a migration to its end over MigrationService.WatchMigration. The
// source controller may restart mid-migration (the worker resumes from its
// persisted phase), so a dropped stream is reopened until the migration
// reaches a terminal phase, as long as the controller comes back in time.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { FerryClients } from "./connect.js";

const TERMINAL = new Set([MigrationPhase.DONE, MigrationPhase.ABORTDONE, MigrationPhase.REAPFAILED]);
/** SUCCESS and after: the destination owns the model; no abort possible. */
const COMMITTED = new Set([
  MigrationPhase.SUCCESS,
  MigrationPhase.LOGTRANSFER,
  MigrationPhase.REAP,
  MigrationPhase.DONE,
  MigrationPhase.REAPFAILED,
]);

export function isTerminalPhase(p: MigrationPhase): boolean {
  return TERMINAL.has(p);
}

export function isCommittedPhase(p: MigrationPhase): boolean {
  return COMMITTED.has(p);
}

/** "QUIESCE", "ABORTDONE"; "" for an unset phase (dry runs). */
export function phaseName(p: MigrationPhase): string {
  return p === MigrationPhase.UNSPECIFIED ? "" : (MigrationPhase[p] ?? `PHASE_${p}`);
}

/** Failures worth waiting out: the controller restarting or briefly unreachable. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return false;
  return [Code.Unavailable, Code.Aborted, Code.DeadlineExceeded, Code.Unknown, Code.Internal, Code.Canceled].includes(
    err.code,
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

export interface FollowOptions {
  signal?: AbortSignal;
  /** Give up after this long without hearing from the controller (default 2 minutes). */
  maxOutageMs?: number;
  /** Pause between reconnection attempts (default 500 ms). */
  retryDelayMs?: number;
  /** Told about each lost connection before a retry. */
  onRetry?: (err: unknown) => void;
}

/**
 * Calls `onUpdate` with the migration's current state and every change after
 * it, and resolves with the migration once it reaches DONE, ABORTDONE or
 * REAPFAILED. Rejects when `signal` aborts, on a non-transient error, or when
 * the controller stays unreachable for longer than `maxOutageMs`.
 */
export async function followMigration(
  clients: FerryClients,
  id: string,
  onUpdate: (m: Migration) => void,
  opts: FollowOptions = {},
): Promise<Migration> {
  const maxOutage = opts.maxOutageMs ?? 120_000;
  let lastContact = Date.now();
  for (;;) {
    try {
      for await (const res of clients.migration.watchMigration({ id }, { signal: opts.signal })) {
        lastContact = Date.now();
        if (!res.migration) continue;
        onUpdate(res.migration);
        if (isTerminalPhase(res.migration.phase)) return res.migration;
      }
      // Ended without a terminal phase: the controller is shutting down
      // (it drains watch streams first). Reconnect like after an error.
    } catch (err) {
      if (opts.signal?.aborted || !isTransient(err) || Date.now() - lastContact > maxOutage) throw err;
      opts.onRetry?.(err);
    }
    opts.signal?.throwIfAborted();
    if (Date.now() - lastContact > maxOutage) {
      throw new ConnectError(
        `lost contact with the controller for over ${Math.round(maxOutage / 1000)}s`,
        Code.Unavailable,
      );
    }
    await sleep(opts.retryDelayMs ?? 500, opts.signal);
  }
}

/** Where a migration goes: how the destination's clients were connected, and its alias. */
export interface MigrationDestination {
  /** Clients of the destination, logged in as one of its superusers. */
  clients: FerryClients;
  /** The alias the source records (and redirects name), e.g. "dst". */
  name: string;
  /** The destination's API addresses ("host:port"), as this client reaches them. */
  addresses: string[];
  /** PEM of the destination's CA, which the source will pin. */
  caPem: string;
}

/**
 * Starts migrating `model` from `source` to `destination` the way `ferry
 * migrate` does, for programs: the destination issues a migration-scoped
 * token bound to the model's UUID and the source controller (no password
 * travels), then the source's StartMigration runs every precheck and starts.
 * Resolves with the new migration (or the plan, with `dryRun`); follow it with
 * `followMigration`.
 */
export async function startMigrationTo(
  source: FerryClients,
  destination: MigrationDestination,
  model: string,
  opts: { dryRun?: boolean } = {},
): Promise<Migration> {
  const [found, sourceInfo, destinationInfo] = await Promise.all([
    source.model.getModel({ model }),
    source.controller.getControllerInfo({}),
    destination.clients.controller.getControllerInfo({}),
  ]);
  const { token } = await destination.clients.controller.createMigrationToken({
    modelUuid: found.model!.uuid,
    sourceControllerUuid: sourceInfo.controller!.uuid,
  });
  const res = await source.migration.startMigration({
    model: found.model!.uuid,
    dryRun: opts.dryRun ?? false,
    target: {
      controllerUuid: destinationInfo.controller!.uuid,
      controllerName: destination.name,
      addresses: destination.addresses,
      caCert: destination.caPem,
      token,
    },
  });
  return res.migration!;
}
