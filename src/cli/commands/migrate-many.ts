// `ferry migrate <model>... <destination>` and `--all`: several models at
// once (issue 12 item 2), the upgrade recipe in one command. Every model's
// prechecks run first (a dry run of each on its source controller), and any
// failure of any model stops everything before a single migration starts,
// with every failure of every model listed. Then at most --parallel run at
// once: the client starts the next when one ends, so it stays until the last
// has started (and, with --wait, until all have ended). The bound is the
// client's: each migration runs on its source controller as a single one does.
import { ConnectError } from "@connectrpc/connect";
import type { Migration } from "../../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../../gen/ts/ferry/v1/resources_pb.js";
import { PreconditionError } from "../../client/errors.js";
import { followMigration } from "../../client/migration.js";
import type { CliContext, ModelTarget, Session } from "../context.js";
import { CliError } from "../errors.js";
import type { Opts } from "../run.js";
import { count } from "../../util/plural.js";
import { displayModelName, listAllModels } from "./model-cache.js";
import {
  DEFINITE_REFUSALS,
  failuresOf,
  migrationTarget,
  migrationToken,
  onController,
  phasePrinter,
  revokeToken,
} from "./migration.js";

export const DEFAULT_PARALLEL = 2;

interface Candidate {
  target: ModelTarget;
  source: Session;
  uuid: string;
  failures: string[];
}

/** The models to move: those named, or with --all every model of the source but the controller model. */
async function candidatesOf(ctx: CliContext, opts: Opts, models: string[]): Promise<ModelTarget[]> {
  if (!opts.all) {
    const out = new Map<string, ModelTarget>();
    for (const m of models) {
      const t = await ctx.modelTarget(onController(m, opts.controller));
      out.set(`${t.controller}\u0000${t.model}`, t);
    }
    return [...out.values()];
  }
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  const user = session.account?.user;
  return (await listAllModels(session, true))
    .filter((m) => !m.isController)
    .map((m) => ({
      controller,
      model: `${m.owner}/${m.name}`,
      display: displayModelName(`${m.owner}/${m.name}`, user),
    }))
    .sort((a, b) => a.display.localeCompare(b.display));
}

function messageOf(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (err instanceof ConnectError) return err.rawMessage;
  return err instanceof Error ? err.message : String(err);
}

/** A dry run of one model: its precheck failures (empty when it can go). */
async function precheck(ctx: CliContext, t: ModelTarget, dst: Session, destination: string): Promise<Candidate> {
  const source = await ctx.session(t.controller);
  const c: Candidate = { target: t, source, uuid: "", failures: [] };
  try {
    const found = (await source.clients.model.getModel({ model: t.model })).model;
    if (!found) throw new Error("the controller returned no model");
    c.uuid = found.uuid;
    const dstRecord = dst.record;
    const token = await migrationToken(dst, found.uuid, source.record.uuid);
    try {
      const res = await source.clients.migration.startMigration({
        model: found.uuid,
        dryRun: true,
        target: migrationTarget(dstRecord, destination, token),
      });
      c.failures.push(...res.failures.map((f) => f.message));
    } finally {
      await revokeToken(dstRecord.apiEndpoints[0]!, dstRecord.caCert, found.uuid, token);
    }
  } catch (err) {
    if (err instanceof PreconditionError && err.violations.length)
      c.failures.push(...failuresOf(err).map((f) => f.message));
    else c.failures.push(messageOf(err));
  }
  return c;
}

/** Starts one migration for real; its id, or the reason it did not start. */
async function start(c: Candidate, dst: Session, destination: string): Promise<{ id: string } | { error: string }> {
  const token = await migrationToken(dst, c.uuid, c.source.record.uuid);
  let unused = false;
  try {
    const res = await c.source.clients.migration.startMigration({
      model: c.uuid,
      target: migrationTarget(dst.record, destination, token),
    });
    const id = res.migration?.id;
    if (!id) throw new Error("the controller did not return the migration");
    return { id };
  } catch (err) {
    if (err instanceof ConnectError && DEFINITE_REFUSALS.has(err.code)) unused = true;
    if (err instanceof PreconditionError && err.violations.length) {
      return {
        error: failuresOf(err)
          .map((f) => f.message)
          .join("; "),
      };
    }
    if (unused) return { error: messageOf(err) };
    throw err;
  } finally {
    if (unused) await revokeToken(dst.record.apiEndpoints[0]!, dst.record.caCert, c.uuid, token);
  }
}

/**
 * Runs `fn` on each item, at most `limit` at a time, in order of starting;
 * `queued()` says whether items are still waiting for a slot.
 */
async function bounded<T>(
  items: T[],
  limit: number,
  fn: (item: T, queued: () => boolean) => Promise<void>,
): Promise<void> {
  let next = 0;
  const queued = () => next < items.length;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!, queued);
  });
  await Promise.all(lanes);
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");

export async function migrateMany(ctx: CliContext, opts: Opts, models: string[], destination: string): Promise<void> {
  if (!(await ctx.store.controller(destination))) {
    throw new CliError(
      `controller "${destination}" is not known to this client`,
      `Add it with 'ferry login <host:port> -c ${destination}', then run 'ferry migrate' again.`,
    );
  }
  const parallel = Number(opts.parallel ?? DEFAULT_PARALLEL);
  const targets = await candidatesOf(ctx, opts, models);
  if (!targets.length) {
    ctx.out(
      `No models to migrate on controller "${await ctx.controllerName(opts.controller)}" (only the controller model).`,
    );
    return;
  }
  const dst = await ctx.session(destination);

  // 1. Every precheck of every model, before anything starts.
  const checked: Candidate[] = [];
  await bounded(targets, 4, async (t) => void checked.push(await precheck(ctx, t, dst, destination)));
  checked.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));
  const failing = checked.filter((c) => c.failures.length);
  if (failing.length) {
    const detail = failing
      .map(
        (c) =>
          `model "${c.target.display}" cannot be migrated to controller "${destination}":\n` +
          c.failures.map(indent).join("\n"),
      )
      .join("\n");
    throw new CliError(
      `prechecks failed for ${failing.length} of ${count(checked.length, "model")}: nothing was started`,
      [detail, opts.dryRun ? "Dry run: nothing was changed." : ""].filter(Boolean).join("\n"),
    );
  }
  const names = checked.map((c) => c.target.display);
  if (opts.dryRun) {
    ctx.out(
      `Dry run: ${count(checked.length, "model")} can be migrated to controller "${destination}" (${names.join(", ")}); nothing was changed.`,
    );
    ctx.out(`All prechecks passed. Run the same command without --dry-run to start, ${parallel} at a time.`);
    return;
  }

  // 2. At most `parallel` at once, each followed to its end to free its slot.
  ctx.out(`Migrating ${count(checked.length, "model")} to controller "${destination}", ${parallel} at a time.`);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  const done: string[] = [];
  const failed: string[] = [];
  const running: string[] = [];
  const notStarted = new Set(names);
  try {
    await bounded(checked, parallel, async (c, queued) => {
      if (abort.signal.aborted) return;
      const name = c.target.display;
      notStarted.delete(name);
      const started = await start(c, dst, destination);
      if ("error" in started) {
        failed.push(`${name}: did not start: ${started.error}`);
        ctx.out(`${name}: did not start: ${started.error}`);
        return;
      }
      ctx.out(`${name}: Migration started with ID "${started.id}"`);
      // Without --wait, a migration is followed only while others wait for its slot.
      if (!opts.wait && !queued()) {
        running.push(name);
        return;
      }
      const printer = opts.wait ? phasePrinter(ctx, `${name}: `) : undefined;
      let end: Migration;
      try {
        end = await followMigration(c.source.clients, started.id, (u) => printer?.update(u), { signal: abort.signal });
      } catch (err) {
        if (abort.signal.aborted) return;
        failed.push(`${name}: lost track of migration "${started.id}": ${messageOf(err)}`);
        return;
      }
      printer?.stop(end.phase === MigrationPhase.DONE);
      if (end.phase === MigrationPhase.DONE) {
        done.push(name);
        ctx.out(`${name}: completed, now on controller "${destination}"`);
      } else {
        const why = end.failure || end.statusMessage;
        failed.push(
          end.phase === MigrationPhase.REAPFAILED
            ? `${name}: now on controller "${destination}", but removing it from the source failed: ${why}`
            : `${name}: migration "${end.id}" aborted: ${why} (unchanged on controller "${c.source.name}")`,
        );
        ctx.out(failed.at(-1)!);
      }
    });
  } finally {
    process.off("SIGINT", onSignal);
  }
  if (abort.signal.aborted) {
    ctx.info(
      `Stopped. Migrations already started go on (see 'ferry show-migration'); ` +
        (notStarted.size ? `not started: ${[...notStarted].join(", ")}.` : "every migration had started."),
    );
    process.exitCode = 130;
    return;
  }
  if (failed.length) {
    throw new CliError(
      `${done.length} of ${count(checked.length, "migration")} completed; ${failed.length} did not`,
      failed.join("\n"),
    );
  }
  if (running.length) {
    ctx.out(
      `${count(done.length, "migration")} completed; ${running.join(", ")} still migrating (see 'ferry show-migration <model>', or use --wait).`,
    );
    return;
  }
  ctx.out(
    `All ${count(checked.length, "migration")} completed: ${names.join(", ")} now on controller "${destination}".`,
  );
}
