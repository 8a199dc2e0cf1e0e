// migrate, show-migration, abort-migration: a thin layer over
// MigrationService on the source controller, plus the one thing only the
// client can do: get a migration-scoped token from the destination with the
// user's own session there, so no password ever leaves this machine.
import { canRedraw } from "../color.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Migration, PrecheckFailure } from "../../../gen/ts/ferry/v1/migration_pb.js";
import { connect } from "../../client/connect.js";
import { PreconditionError } from "../../client/errors.js";
import { followMigration, isCommittedPhase, isTerminalPhase, phaseName } from "../../client/migration.js";
import { MigrationPhase } from "../../../gen/ts/ferry/v1/resources_pb.js";
import type { CliContext, Session } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import {
  migrationDoc,
  phaseLine,
  precheckReport,
  progressSummary,
  switchedLine,
  type PrecheckItem,
} from "../output/migration-doc.js";
import { startProgress, type Progress } from "../progress.js";
import { findKnownController } from "../redirect.js";
import type { Opts } from "../run.js";

const MIGRATION_ID = /^(?:([^:]+):)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+)$/i;

/** A migration id ("<uuid>:<n>", optionally "<controller>:" first) or a model; the id to send and where. */
/**
 * `-c <controller>` (the reference's migration commands are controller
 * commands) names the source controller of a model given without one; one
 * given both ways must agree.
 */
export function onController(arg: string | undefined, controller: string | undefined): string | undefined {
  if (!controller) return arg;
  const m = arg ? MIGRATION_ID.exec(arg) : null;
  const named = m ? m[1] : arg?.includes(":") ? arg.slice(0, arg.indexOf(":")) : undefined;
  if (named && named !== controller)
    throw new CliError(`"${arg}" names controller "${named}" but -c says "${controller}"`, "Give the controller once.");
  if (named) return arg;
  return `${controller}:${arg ?? ""}`;
}

async function migrationRef(
  ctx: CliContext,
  arg?: string,
): Promise<{ controller: string; id: string; display: string }> {
  const m = arg ? MIGRATION_ID.exec(arg) : null;
  if (m) return { controller: await ctx.controllerName(m[1]), id: m[2]!, display: m[2]! };
  const target = await ctx.modelTarget(arg);
  return { controller: target.controller, id: target.model, display: target.display };
}

export function failuresOf(err: PreconditionError): PrecheckItem[] {
  return err.violations.map((v) => ({ message: v.description }));
}

/** Precheck failures become one CliError listing them all (exit status 1). */
function precheckError(failures: PrecheckItem[], model: string, destination: string, dryRun = false): CliError {
  const { message, detail } = precheckReport(failures, model, destination);
  // A failed dry run ends with what it did (nothing), after the failures.
  const after = dryRun ? "Dry run: nothing was changed." : undefined;
  return new CliError(message, [detail, after].filter(Boolean).join("\n") || undefined);
}

export async function migrationToken(dst: Session, modelUuid: string, sourceUuid: string): Promise<string> {
  try {
    return (await dst.clients.controller.createMigrationToken({ modelUuid, sourceControllerUuid: sourceUuid })).token;
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.PermissionDenied) {
      throw new CliError(
        `cannot get a migration token from controller "${dst.name}": ${err.rawMessage}`,
        `Migrating a model there needs superuser access: log in to it as a superuser with 'ferry login -c ${dst.name} -u <user>'.`,
      );
    }
    throw err;
  }
}

/** The destination as StartMigration takes it: what this client knows of it, and the token. */
export function migrationTarget(
  dst: { uuid: string; apiEndpoints: string[]; caCert: string },
  name: string,
  token: string,
): { controllerUuid: string; controllerName: string; addresses: string[]; caCert: string; token: string } {
  return { controllerUuid: dst.uuid, controllerName: name, addresses: dst.apiEndpoints, caCert: dst.caCert, token };
}

/** Codes by which the source definitely refused to start (nothing used the token). */
export const DEFINITE_REFUSALS = new Set<Code>([
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.NotFound,
  Code.AlreadyExists,
  Code.OutOfRange,
  Code.Unimplemented,
]);

/** Ends an unused migration token on the destination (no migration id: only this token). */
export async function revokeToken(address: string, caPem: string, modelUuid: string, token: string): Promise<void> {
  try {
    await connect({ address, caPem, token }).migrationTarget.completeMigration({ modelUuid });
  } catch {
    // Best effort: the token still expires on its own.
  }
}

export async function balance(ctx: CliContext, opts: Opts, source: string, destination: string): Promise<void> {
  return (await import("./balance.js")).balance(ctx, opts, source, destination);
}

/** `ferry migrate <model>... <destination>` and `ferry migrate --all <destination>`. */
export async function migrate(ctx: CliContext, opts: Opts, args: string[]): Promise<void> {
  const destination = args.at(-1)!;
  const models = args.slice(0, -1);
  if (opts.all && models.length) {
    throw new CliError("give either models or --all, not both", "ferry migrate -c <source> --all <destination>");
  }
  if (!opts.all && !models.length) {
    throw new CliError(
      "name the models to move and then the destination controller",
      "ferry migrate <model>... <destination>, or ferry migrate -c <source> --all <destination>",
    );
  }
  if (!opts.all && models.length === 1) return migrateOne(ctx, opts, models[0]!, destination);
  const { migrateMany } = await import("./migrate-many.js");
  return migrateMany(ctx, opts, models, destination);
}

async function migrateOne(ctx: CliContext, opts: Opts, model: string, destination: string): Promise<void> {
  const target = await ctx.modelTarget(onController(model, opts.controller));
  const dstRecord = await ctx.store.controller(destination);
  if (!dstRecord) {
    throw new CliError(
      `controller "${destination}" is not known to this client`,
      `Add it with 'ferry login <host:port> -c ${destination}', then run 'ferry migrate' again.`,
    );
  }
  const source = await ctx.session(target.controller);
  // The model's UUID binds the token; asking the source first also turns a
  // model that already moved into the usual redirect message.
  const found = (await source.clients.model.getModel({ model: target.model })).model;
  if (!found) throw new Error("the controller returned no model");
  const dst = await ctx.session(destination);
  const token = await migrationToken(dst, found.uuid, source.record.uuid);
  ctx.controllerInUse = source.name;
  const dryRun = Boolean(opts.dryRun);
  let res;
  // Whether the token is known to be unused afterwards: a dry run, or a start
  // the source definitely refused. On UNAVAILABLE, DEADLINE_EXCEEDED,
  // INTERNAL and the like the start may have succeeded and the token must live.
  let unused = dryRun;
  try {
    res = await source.clients.migration.startMigration({
      model: found.uuid,
      dryRun,
      target: migrationTarget(dstRecord, destination, token),
    });
  } catch (err) {
    if (err instanceof ConnectError && DEFINITE_REFUSALS.has(err.code)) unused = true;
    if (err instanceof PreconditionError && err.violations.length) {
      throw precheckError(failuresOf(err), target.display, destination, dryRun);
    }
    throw err;
  } finally {
    // A dry run (or a refused start) leaves the token unused: end it on the
    // destination now rather than letting it live until it expires.
    if (unused) await revokeToken(dstRecord.apiEndpoints[0], dstRecord.caCert, found.uuid, token);
  }
  if (dryRun) {
    // Failures first and alone: a plan for a migration that cannot start
    // would only be read as if it could.
    const failures = res.failures.map((f: PrecheckFailure) => ({ message: f.message }));
    if (failures.length) throw precheckError(failures, target.display, destination, true);
    ctx.out(dryRunHeader(target.display, source.name, destination));
    if (res.plan.length) ctx.out(["Plan:", ...res.plan.map((s, i) => `  ${i + 1}. ${s}`)].join("\n"));
    ctx.out(`All prechecks passed. Run 'ferry migrate ${model} ${destination}' to start the migration.`);
    return;
  }
  const m = res.migration;
  if (!m?.id) throw new Error("the controller did not return the migration");
  ctx.out(`Migration started with ID "${m.id}"`);
  if (opts.wait) await waitForEnd(ctx, source, m.id, { model: target.display, destination });
}

function dryRunHeader(model: string, source: string, destination: string): string {
  return `Dry run: model "${model}" can be migrated from controller "${source}" to "${destination}"; nothing was changed.`;
}

interface WaitLabels {
  model: string;
  /** The client's name for the destination. */
  destination: string;
}

/**
 * Prints each phase message once (dropping repeats that differ only in a
 * count, e.g. "(12 sent)"): plain lines when stderr is not a terminal, a
 * spinner with the phase and progress counts when it is.
 */
export function phasePrinter(
  ctx: CliContext,
  prefix = "",
): {
  update(m: Migration): void;
  stop(ok: boolean): void;
  interrupt(): void;
} {
  // Several migrations at once print plain lines, each with its model first.
  const tty = !prefix && canRedraw(process.stderr);
  const seen = new Set<string>();
  let spinner: Progress | undefined;
  let currentKey = "";
  let currentLine = "";
  // Plain lines: the last line seen and the last one printed, so a count
  // that moved on ("(30 sent)" after "(0 sent)") is printed once more when
  // its phase ends.
  let lastLine = "";
  let lastPrinted = "";
  const flush = (next?: Migration) => {
    if (!lastLine || lastLine === lastPrinted) return;
    let final = lastLine;
    // The log count the phase ended with is in the next update's progress,
    // even when the last "(n sent)" message was never seen.
    const logs = next?.progress?.logsDone;
    if (logs !== undefined && logs > 0n) final = final.replace(/\(\d+ sent\)$/, `(${logs} sent)`);
    if (final !== lastPrinted) ctx.out(prefix + final);
    lastPrinted = final;
  };
  return {
    update(m) {
      const line = phaseLine(m);
      const key = line.replace(/\d+/g, "#");
      if (!tty) {
        if (lastLine && lastLine.replace(/\d+/g, "#") !== key) flush(m);
        // Agent waits print their first count and their last (all reported).
        const all = /\((\d+) of \1 agents reported\)$/.test(line);
        if (!seen.has(key) || (all && !seen.has(line))) {
          ctx.out(prefix + line);
          lastPrinted = line;
        }
        seen.add(key);
        seen.add(line);
        lastLine = line;
        return;
      }
      const counts = progressSummary(m.progress);
      const text = counts ? `${line} (${counts})` : line;
      if (spinner && key === currentKey) {
        spinner.step(text);
      } else {
        // A finished step stays on screen with a tick; the new one spins.
        spinner?.done(currentLine);
        spinner = startProgress(text, true);
      }
      currentKey = key;
      currentLine = line;
    },
    interrupt() {
      spinner?.interrupt(currentLine);
    },
    stop(ok) {
      if (!tty) flush();
      if (ok) spinner?.done(currentLine);
      else spinner?.fail(currentLine);
    },
  };
}

/** Follows to the end; undefined when the user interrupted (the migration goes on). */
async function waitForEnd(
  ctx: CliContext,
  session: Session,
  id: string,
  labels: WaitLabels,
): Promise<Migration | undefined> {
  const printer = phasePrinter(ctx);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  let m: Migration;
  try {
    m = await followMigration(session.clients, id, (u) => printer.update(u), {
      signal: abort.signal,
      onRetry: () => ctx.info(`Lost contact with controller "${session.name}"; reconnecting...`),
    });
  } catch (err) {
    if (!abort.signal.aborted) {
      printer.stop(false);
      throw err;
    }
    printer.interrupt();
    ctx.info(`Stopped following. Migration "${id}" goes on; see 'ferry show-migration ${labels.model}'.`);
    process.exitCode = 130;
    return undefined;
  } finally {
    process.off("SIGINT", onSignal);
  }
  const ok = m.phase === MigrationPhase.DONE;
  printer.stop(ok);
  if (ok) {
    const switched = switchedLine(m);
    if (switched) ctx.out(`SUCCESS: ${switched}`);
    ctx.out(`Migration "${m.id}" completed: model "${labels.model}" is now on controller "${labels.destination}".`);
    ctx.out(`To use it run 'ferry switch ${labels.destination}:${m.modelName || labels.model}'.`);
    return m;
  }
  if (m.phase === MigrationPhase.REAPFAILED) {
    throw new CliError(
      `model "${labels.model}" now lives on controller "${labels.destination}", but removing it from the source failed: ${m.failure || m.statusMessage}`,
      `See 'ferry show-migration ${labels.model}'.`,
    );
  }
  throw new CliError(
    `migration "${m.id}" aborted: ${m.failure || m.statusMessage}`,
    `Model "${labels.model}" is unchanged on controller "${session.name}".`,
  );
}

/** This client's name for the migration's destination, if it knows it. */
async function targetAlias(ctx: CliContext, m: Migration): Promise<string | undefined> {
  const t = m.target;
  if (!t) return undefined;
  const { controllers } = await ctx.store.controllers();
  return findKnownController(
    {
      modelName: m.modelName,
      modelOwner: m.modelOwner,
      controllerUuid: t.controllerUuid,
      controllerName: t.controllerName,
      addresses: t.addresses,
      caCert: t.caCert,
      caFingerprint: "",
    },
    controllers,
  );
}

export async function showMigration(ctx: CliContext, opts: Opts, model?: string): Promise<void> {
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const ref = await migrationRef(ctx, onController(model ?? opts.model, opts.controller));
  const session = await ctx.session(ref.controller);
  const m = (await session.clients.migration.getMigration({ id: ref.id })).migration;
  if (!m) throw new CliError(`no migration found for "${ref.display}" on controller "${ref.controller}"`);
  ctx.out(structured(migrationDoc(m, new Date(), await targetAlias(ctx, m)), format));
}

export async function abortMigration(ctx: CliContext, opts: Opts, model: string): Promise<void> {
  const ref = await migrationRef(ctx, onController(model, opts.controller));
  const session = await ctx.session(ref.controller);
  const current = (await session.clients.migration.getMigration({ id: ref.id })).migration;
  if (!current) throw new CliError(`no migration found for "${ref.display}" on controller "${ref.controller}"`);
  const alias = (await targetAlias(ctx, current)) ?? current.target?.controllerName ?? "the destination";
  const tooLate = (m: Migration) =>
    new CliError(
      `cannot abort migration "${m.id}": it is past the point of no return (phase ${phaseName(m.phase)})`,
      `Controller "${alias}" already owns model "${ref.display}"; the migration will complete.`,
    );
  if (isCommittedPhase(current.phase)) throw tooLate(current);
  if (isTerminalPhase(current.phase)) {
    throw new CliError(`migration "${current.id}" has already ended (${phaseName(current.phase)}): nothing to abort`);
  }
  let m = current;
  if (current.phase !== MigrationPhase.ABORT) {
    try {
      m = (await session.clients.migration.abortMigration({ id: current.id })).migration ?? current;
    } catch (err) {
      // It may have passed SUCCESS between our read and the abort.
      if (!(err instanceof ConnectError) || err.code !== Code.FailedPrecondition) throw err;
      const again = (await session.clients.migration.getMigration({ id: current.id })).migration;
      if (again && isCommittedPhase(again.phase)) throw tooLate(again);
      throw err;
    }
  }
  ctx.out(`Abort of migration "${m.id}" requested: model "${ref.display}" stays on controller "${session.name}".`);
  if (!opts.wait) return;
  const end = await followMigration(session.clients, m.id, () => undefined);
  if (end.phase !== MigrationPhase.ABORTDONE) throw tooLate(end);
  ctx.out(`Migration "${end.id}" aborted; model "${ref.display}" is available again on controller "${session.name}".`);
}
