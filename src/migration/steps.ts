// What each phase does (migration.md section 2). A step runs from the
// phase's start every time (first run, retry or resume after a restart), so
// each is written to be safe to repeat, and ends by recording the next phase
// in the same transaction as its last piece of work. Failures before SUCCESS
// throw (the worker turns them into ABORT); after SUCCESS calls retry forever.
import { Code, ConnectError } from "@connectrpc/connect";
import { activationStage, MESSAGES, type ActivePhase } from "../domain/phases.js";
import { collapseMissingUsers, sourcePrechecks, versionPrechecks } from "../domain/prechecks.js";
import { LeaseLost, type MigrationRow } from "../store/index.js";
import { readModelInfo, readSourceFacts } from "./prechecks-run.js";
import { enterPhase, observeEntered } from "./record.js";
import { describeError, errorReason, isPermanentRefusal, isRetryable } from "./target-client.js";
import { waitForAgents } from "./agents.js";
import { sleep, StepFailed, Stopping, Unreachable, type MigrationTask } from "./task.js";
import { importDocument, transferLogs, uploadBinary } from "./transfer.js";
import { count } from "../util/plural.js";

export type Step = (t: MigrationTask, row: MigrationRow) => Promise<void>;

async function facts(t: MigrationTask, row: MigrationRow) {
  const { store, controller } = t.deps;
  const f = await store.read((tx) => readSourceFacts(tx, controller, row.modelUuid, row.targetControllerUuid, row.id));
  if (!f) throw new StepFailed("model no longer exists on the source controller");
  return f;
}

const quiesce: Step = async (t, row) => {
  await t.pause("QUIESCE");
  await t.message(MESSAGES.sourcePrechecks);
  const f = await facts(t, row);
  const failures = sourcePrechecks(f.snapshot);
  await t.message(MESSAGES.targetPrechecks);
  const res = await t.call("prechecks", (c) => c.target.prechecks({ model: f.info }), "bounded");
  failures.push(...versionPrechecks(res.controllerVersion, f.info));
  failures.push(...res.violations.map((v) => ({ code: v.code, subject: v.subject, message: v.message })));
  const all = collapseMissingUsers(failures);
  if (all.length) throw new StepFailed(all.map((x) => x.message).join("; "));
  await t.message(MESSAGES.quiescing);
  // The agents connected now stop making changes and report back.
  await waitForAgents(t, "QUIESCE", MESSAGES.quiescing);
  t.inject("QUIESCE");
  await t.checkAbort();
  await t.enter("IMPORT", { message: MESSAGES.exporting });
};

const importModel: Step = async (t, row) => {
  await t.pause("IMPORT");
  // Display only: the phase, not this message, is what a restart resumes from.
  if (row.statusMessage !== MESSAGES.exporting) await t.message(MESSAGES.exporting);
  const info = await t.deps.store.read((tx) => readModelInfo(tx, t.deps.controller, row.modelUuid));
  if (!info) throw new StepFailed("model no longer exists on the source controller");
  // One consistent snapshot. The model is frozen (exporting), so exporting
  // again after a restart yields the same content; the counts and digest
  // Validate compares are recorded from this export either way.
  const exp = await t.deps.exportModel(t.deps.store, row.modelUuid);
  try {
    await t.message(
      MESSAGES.importing,
      {
        entitiesDone: 0,
        entitiesTotal: exp.entityCount,
        bytesDone: 0,
        bytesTotal: exp.binaries.reduce((n, b) => n + b.size, 0),
        documentBytes: exp.size,
        importStartedAt: t.now(),
        uploadStartedAt: undefined,
      },
      { exportCounts: JSON.stringify(exp.counts), exportDigest: exp.sha256 },
    );
    // A leftover import of this migration (from before a restart) is
    // replaced by the destination: Import is keyed by the migration id.
    const res = await t.call(
      "import",
      (c) =>
        importDocument(c, exp, info, row.id, t.streamSignal, (sent) =>
          t.progress({ entitiesDone: Math.floor((exp.entityCount * sent) / Math.max(1, exp.size)) }),
        ),
      "bounded",
    );
    await t.progress({ entitiesDone: Number(res.entityCount) }, true);
    if (Number(res.entityCount) !== exp.entityCount) {
      throw new StepFailed(`destination imported ${res.entityCount} entities, ${exp.entityCount} were exported`);
    }
    t.inject("IMPORT");
    await t.checkAbort();
    await t.message(MESSAGES.uploading, { uploadStartedAt: t.now() });
    let done = 0;
    for (const b of exp.binaries) {
      await t.checkAbort();
      const base = done;
      await t.call(
        "upload",
        (c) => {
          let mine = 0;
          return uploadBinary(
            c,
            exp,
            row.modelUuid,
            b,
            t.streamSignal,
            (n) => t.progress({ bytesDone: base + (mine += n) }),
            t.opts.corruptBinaries,
          );
        },
        "bounded",
      );
      done += b.size;
      await t.progress({ bytesDone: done }, true);
    }
    await t.checkAbort();
    await t.enter("PROCESSRELATIONS", { message: MESSAGES.relations });
  } finally {
    await exp.close();
  }
};

const processRelations: Step = async (t) => {
  await t.pause("PROCESSRELATIONS");
  // No cross-model relations exist in Ferry yet: nothing to fix up.
  t.inject("PROCESSRELATIONS");
  await t.checkAbort();
  await t.enter("VALIDATION", { message: MESSAGES.validatingAgents });
};

/** Validate re-exports the whole imported model on the destination: allow for big models. */
const VALIDATE_TIMEOUT_MS = 10 * 60_000;

function parseCounts(json: string): Record<string, number> {
  try {
    return JSON.parse(json) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * Activation is the commit point. Once it is recorded as sent the
 * destination may own the model, so no failure leads to ABORT until the
 * destination itself says the model is not active (GetImportState, asked
 * until it answers): never two owners.
 */
async function activate(t: MigrationTask, row: MigrationRow): Promise<void> {
  const started = t.now();
  let delay = t.opts.retryBaseMs;
  for (;;) {
    let failure: unknown;
    try {
      // Not cancellable by an abort request: half-sent, we could not tell
      // whether it happened.
      await (await t.connection()).target.activate({ modelUuid: row.modelUuid, migrationId: row.id });
      return;
    } catch (err) {
      if (t.stopSignal.aborted) throw new Stopping();
      failure = err;
      t.dropConnection();
    }
    const st = await t.call("import state", (c) => c.target.getImportState({ modelUuid: row.modelUuid }), "forever");
    if (st.activated) return;
    if (!st.exists) throw new StepFailed("the imported model is missing on destination controller");
    if (!isRetryable(failure))
      throw new StepFailed(`activation refused by destination controller: ${describeError(failure)}`);
    if (t.now() - started >= t.opts.retryBudgetMs) throw new Unreachable(failure);
    await sleep(delay, t.stopSignal);
    delay = Math.min(delay * 2, t.opts.retryMaxMs);
  }
}

/**
 * Entering SUCCESS: the migration will end DONE, so no failure or abort
 * request from before the commit point may stay on it.
 */
const COMMITTED = {
  message: MESSAGES.switchingAgents,
  set: { failure: "", abortRequested: false },
} as const;

const validation: Step = async (t, row) => {
  await t.pause("VALIDATION").catch((err) => {
    // An abort request is decided below, once we know activation did not happen.
    if (err instanceof Stopping) throw err;
  });
  // State, not a message: activation_sent_at is set before Activate goes out.
  const sentActivate = activationStage(row) === "sent";
  const st = await t.call(
    "import state",
    (c) => c.target.getImportState({ modelUuid: row.modelUuid }),
    sentActivate ? "forever" : "bounded",
  );
  if (st.activated) {
    t.deps.log.info("migration: destination reports the model active", { migration: row.id });
    await t.enter("SUCCESS", COMMITTED);
    return;
  }
  if (!st.exists) throw new StepFailed("the imported model is missing on destination controller");
  await t.checkAbort();
  if (sentActivate) await t.message(MESSAGES.validatingAgents);
  // The agents prove they can reach the destination with their own credentials.
  await waitForAgents(t, "VALIDATION", MESSAGES.validatingAgents);
  const exported = parseCounts(row.exportCounts);
  const v = await t.call(
    "validate",
    (c) =>
      c.target.validate(
        {
          modelUuid: row.modelUuid,
          entityCounts: Object.fromEntries(Object.entries(exported).map(([k, n]) => [k, BigInt(n)])),
          digest: row.exportDigest,
        },
        { timeoutMs: VALIDATE_TIMEOUT_MS },
      ),
    "bounded",
  );
  if (v.mismatches.length) throw new StepFailed(`validation failed: ${v.mismatches.join("; ")}`);
  t.inject("VALIDATION");
  await t.checkAbort();
  await t.message(MESSAGES.checkingMachines);
  const got = Number(v.entityCounts.machines ?? -1);
  if ("machines" in exported && got !== exported.machines) {
    throw new StepFailed(
      `destination has ${count(got, "machine")}, ${exported.machines} ${exported.machines === 1 ? "was" : "were"} exported`,
    );
  }
  await t.checkAbort();
  // Recorded BEFORE the call: after a crash we then know to ask first.
  await t.activationSent(MESSAGES.activating);
  await activate(t, row);
  await t.enter("SUCCESS", COMMITTED);
};

const success: Step = async (t, row) => {
  await t.pause("SUCCESS").catch(() => undefined);
  t.deps.log.info("migration: point of no return passed; destination owns the model", { migration: row.id });
  // The agents switch to the destination; failures are only logged.
  await waitForAgents(t, "SUCCESS", MESSAGES.switchingAgents);
  await t.enter("LOGTRANSFER", { message: MESSAGES.transferringLogs(0), progress: { logsDone: 0 } });
};

const logTransfer: Step = async (t, row) => {
  await t.pause("LOGTRANSFER").catch(() => undefined);
  try {
    await t.targetSpec();
  } catch (err) {
    // Without a readable token the destination cannot be reached again; the
    // model already lives there, so finish rather than retry for ever.
    t.deps.log.error("migration: skipping log transfer", { migration: row.id, error: describeError(err) });
    await t.enter("REAP", { message: MESSAGES.reaping });
    return;
  }
  let base = 0;
  try {
    await t.call(
      "log transfer",
      (c) =>
        transferLogs(
          t.deps.store,
          c,
          row.modelUuid,
          t.stopSignal,
          async (afterSeq) => {
            base = await t.deps.store.read((tx) => tx.logs.countUpTo(row.modelUuid, afterSeq));
          },
          async (sent) => {
            await t.message(MESSAGES.transferringLogs(base + sent), { logsDone: base + sent });
          },
        ),
      "untilRefused",
    );
  } catch (err) {
    if (err instanceof Stopping || err instanceof LeaseLost || !isPermanentRefusal(err)) throw err;
    // Logs are best effort: a destination that refuses for good (revoked or
    // expired token, model gone there) must not keep the source model for ever.
    t.deps.log.warn("migration: log transfer refused by the destination; skipping the remaining logs", {
      migration: row.id,
      error: describeError(err),
    });
  }
  await t.enter("REAP", { message: MESSAGES.reaping });
};

const REAP_ATTEMPTS = 3;

const reap: Step = async (t, row) => {
  await t.pause("REAP").catch(() => undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      const done = await t.tx(async (tx) => {
        await tx.lockModel(row.modelUuid);
        const users = (await tx.models.users(row.modelUuid)).map((u) => u.user);
        await tx.redirects.put({
          modelUuid: row.modelUuid,
          modelName: row.modelName,
          modelOwner: row.modelOwner,
          migrationId: row.id,
          controllerUuid: row.targetControllerUuid,
          controllerName: row.targetControllerName,
          addresses: JSON.parse(row.targetAddresses) as string[],
          caCert: row.targetCaCert,
          users,
          migratedAt: t.now(),
        });
        await tx.models.deleteAll(row.modelUuid);
        // The token stays until CompleteMigration revoked it (worker finalize).
        return enterPhase(tx, row.id, "DONE", { message: MESSAGES.reaping }, t.now());
      });
      observeEntered(done);
      return;
    } catch (err) {
      if (err instanceof Stopping || err instanceof LeaseLost) throw err;
      t.deps.log.error("migration: removing the model from the source failed", {
        migration: row.id,
        attempt,
        error: String(err),
      });
      if (attempt >= REAP_ATTEMPTS) {
        const cause = `removing model from source controller failed: ${String(err)}`;
        await t.enter("REAPFAILED", { message: cause, set: { failure: cause } });
        return;
      }
      await sleep(t.opts.retryBaseMs * attempt, t.stopSignal);
    }
  }
};

/**
 * Removes the partial import from the destination, then gives the model back
 * to its users. The token is kept: the worker then revokes it on the
 * destination (and repeats the removal if it could not be done here).
 */
const abort: Step = async (t, row) => {
  const cause = row.failure || "aborted";
  try {
    // MODEL_ACTIVATED comes back as a value: call() would wrap it in StepFailed.
    const activated = await t.call(
      "abort",
      async (c) => {
        try {
          await c.target.abort({ modelUuid: row.modelUuid, migrationId: row.id });
          return undefined;
        } catch (err) {
          if (err instanceof ConnectError && err.code === Code.FailedPrecondition) {
            if (errorReason(err) === "MODEL_ACTIVATED") return err;
          }
          throw err;
        }
      },
      "bounded",
      false,
    );
    if (activated) {
      await destinationOwnsModel(t, row, activated);
      return;
    }
  } catch (err) {
    if (err instanceof Stopping || err instanceof LeaseLost) throw err;
    // Unlocking is safe anyway: the destination never activated the model
    // (checked before any abort once activation was attempted).
    t.deps.log.warn("migration: could not remove the partial model from the destination yet; will retry", {
      migration: row.id,
      error: describeError(err),
    });
  }
  const aborted = await t.tx(async (tx) => {
    await tx.lockModel(row.modelUuid);
    await tx.models.setMigrationMode(row.modelUuid, "none", "exporting");
    // "available again when it ends, keeping the last message after an abort".
    await tx.models.setStatus(row.modelUuid, { status: "available", message: MESSAGES.abortDone(cause) }, t.now());
    return enterPhase(tx, row.id, "ABORTDONE", { message: MESSAGES.abortDone(cause) }, t.now());
  });
  observeEntered(aborted);
  t.deps.simulator.schedule(row.modelUuid);
};

/** How long an ABORT the destination refused waits before asking it again. */
const OWNED_RECHECK_MS = 60 * 60 * 1000;

/**
 * The destination activated the model this migration is aborting: it owns
 * it. There is no edge from ABORT to SUCCESS, and unlocking the source copy
 * would make two owners, so the migration stays in ABORT with the model
 * frozen, says so, and waits for an operator (asking again now and then, and
 * at every controller start, in case the destination copy was removed).
 */
async function destinationOwnsModel(t: MigrationTask, row: MigrationRow, err: unknown): Promise<void> {
  const failure =
    `the destination controller ${row.targetControllerName} activated the model and owns it; ` +
    "the source copy stays frozen and the migration cannot be aborted: an operator must intervene " +
    `(destination said: ${describeError(err)})`;
  t.deps.log.error(
    "migration: ABORT REFUSED: the destination controller has ACTIVATED the model; the source model stays " +
      "frozen (NOT unlocked) to avoid two owners; operator intervention required",
    { migration: row.id, model: row.modelUuid, destination: row.targetControllerUuid, error: describeError(err) },
  );
  if (row.failure !== failure) await t.message(row.statusMessage, undefined, { failure });
  await sleep(OWNED_RECHECK_MS, t.stopSignal);
  if (t.stopSignal.aborted) throw new Stopping();
}

/** Every phase that is not terminal has a step (a phase without one fails to compile). */
export const STEPS: Record<ActivePhase, Step> = {
  QUIESCE: quiesce,
  IMPORT: importModel,
  PROCESSRELATIONS: processRelations,
  VALIDATION: validation,
  SUCCESS: success,
  LOGTRANSFER: logTransfer,
  REAP: reap,
  ABORT: abort,
};
