// migrate / show-migration / abort-migration against in-process controllers
// with a scripted MigrationService (see fake-controllers.ts): what the CLI
// sends, and exactly what it prints.
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { PhaseTimingSchema } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { abortMigration, migrate, showMigration } from "../../src/cli/commands/migration.js";
import type { CliContext } from "../../src/cli/context.js";
import { renderError } from "../../src/cli/render-error.js";
import { missingUsersAdvisory } from "../../src/domain/prechecks.js";
import { DST_UUID, HAPPY, MODEL_UUID, startFakes, type Fakes, type Script } from "./fake-controllers.js";

let fakes: Fakes | undefined;
afterEach(async () => {
  await fakes?.close();
  fakes = undefined;
  process.exitCode = undefined;
});

async function setup(script: Script): Promise<Fakes> {
  fakes = await startFakes(script);
  return fakes;
}

/** Runs a command like `ferry` does and returns what it printed. */
async function run(f: Fakes, fn: (ctx: CliContext) => Promise<void>) {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  let code = 0;
  try {
    await fn(f.ctx);
  } catch (e) {
    stderr += (await renderError(e, { store: f.store, debug: true })) + "\n";
    code = 1;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr, code };
}

const ID = `${MODEL_UUID}:0`;

describe("ferry migrate", () => {
  it("gets a token from the destination, starts the migration on the source and returns", async () => {
    const f = await setup({ steps: [], stepMs: 1000 });
    const r = await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    expect(r).toEqual({ stdout: `Migration started with ID "${ID}"\n`, stderr: "", code: 0 });
    const dst = (await f.store.controller("dst"))!;
    expect(f.started).toHaveLength(1);
    const req = f.started[0]!;
    expect(req.model).toBe(MODEL_UUID);
    expect(req.dryRun).toBe(false);
    expect(req.target).toMatchObject({
      controllerUuid: DST_UUID,
      controllerName: "dst",
      addresses: dst.apiEndpoints,
      caCert: dst.caCert,
      token: f.tokens[0],
    });
    expect(f.tokens[0]).toContain(MODEL_UUID); // bound to the model (and the source)
  });

  it("--wait prints each phase message once and exits 0 on DONE", async () => {
    const f = await setup({ steps: HAPPY });
    const r = await run(f, (ctx) => migrate(ctx, { wait: true }, ["src:web", "dst"]));
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      `Migration started with ID "${ID}"`,
      "QUIESCE: starting",
      "QUIESCE: quiescing, waiting for agents to report back",
      "IMPORT: exporting model",
      "IMPORT: importing model into destination controller",
      "IMPORT: uploading model binaries into destination controller",
      "PROCESSRELATIONS: processing relations",
      "VALIDATION: validating, waiting for agents to report back",
      "SUCCESS: successful, transferring logs to destination controller (0 sent)",
      "LOGTRANSFER: successful, transferring logs to destination controller (10 sent)",
      // The count the phase ended with, not only the first one seen.
      "LOGTRANSFER: successful, transferring logs to destination controller (20 sent)",
      "REAP: successful, removing model from source controller",
      "DONE: successful, removing model from source controller",
      `Migration "${ID}" completed: model "web" is now on controller "dst".`,
      "To use it run 'ferry switch dst:web'.",
      "",
    ]);
  });

  it("--wait exits non-zero on ABORTDONE with the root cause", async () => {
    const cause = "destination controller stopped answering during IMPORT";
    const f = await setup({ steps: HAPPY.slice(0, 3), abortCause: cause });
    const r = await run(f, (ctx) => migrate(ctx, { wait: true }, ["web", "dst"]));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ABORT: aborted, removing model from destination controller: ${cause}\n`);
    expect(r.stderr).toBe(`ERROR migration "${ID}" aborted: ${cause}\nModel "web" is unchanged on controller "src".\n`);
  });

  it("says how to add a destination it does not know", async () => {
    const f = await setup({ steps: [] });
    const r = await run(f, (ctx) => migrate(ctx, {}, ["web", "elsewhere"]));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ERROR controller "elsewhere" is not known to this client\n' +
        "Add it with 'ferry login <host:port> -c elsewhere', then run 'ferry migrate' again.\n",
    );
    expect(f.started).toHaveLength(0);
  });

  it("needs superuser on the destination for the token", async () => {
    const f = await setup({ steps: [] });
    await f.store.putAccount("dst", { user: "bob", token: "dst-bob" });
    const r = await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR cannot get a migration token from controller "dst": permission denied/);
    expect(r.stderr).toContain("'ferry login -c dst -u <user>'");
    expect(f.started).toHaveLength(0);
  });

  const failures = [
    { code: "CLOUD_TYPE", subject: "dst", message: 'destination cloud type "ec2" differs from "lxd"' },
    { code: "MISSING_USERS", subject: "bob,carol", message: missingUsersAdvisory(["bob", "carol"]) },
    { code: "NAME_EXISTS", subject: "web", message: 'model named "web" already exists on destination controller' },
  ];

  it("prints every precheck failure, the advisory verbatim", async () => {
    const f = await setup({ steps: [], failures });
    const r = await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        'ERROR 3 prechecks failed: model "web" cannot be migrated to controller "dst"',
        'destination cloud type "ec2" differs from "lxd"',
        'model named "web" already exists on destination controller',
        "cannot initiate migration: the users granted access to the model do not exist",
        "on the destination controller. Add them to the destination controller or remove",
        "them from the model:",
        "  - bob",
        "  - carol",
        "",
      ].join("\n"),
    );
  });

  it("a single failure is the error itself", async () => {
    const f = await setup({ steps: [], failures: [failures[1]!] });
    const r = await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    expect(r.stderr).toBe(`ERROR ${missingUsersAdvisory(["bob", "carol"])}\n`);
  });

  it("--dry-run prints every failure, then that nothing changed; starts nothing, exits non-zero", async () => {
    const f = await setup({ steps: [], failures });
    const r = await run(f, (ctx) => migrate(ctx, { dryRun: true }, ["web", "dst"]));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ERROR 3 prechecks failed/);
    expect(r.stderr).toMatch(/\nDry run: nothing was changed\.\n$/);
    expect(r.stderr).toContain(missingUsersAdvisory(["bob", "carol"]));
    expect(f.started[0]!.dryRun).toBe(true);
    expect(f.migration).toBeUndefined();
    // The unused token is revoked on the destination (alone: no migration id).
    expect(f.revoked).toEqual([{ token: f.tokens[0], migrationId: "" }]);
  });

  it("revokes the token after a definite refusal, keeps it when the start may have happened", async () => {
    const refused = await setup({ steps: [], failures });
    expect((await run(refused, (ctx) => migrate(ctx, {}, ["web", "dst"]))).code).toBe(1);
    expect(refused.revoked).toEqual([{ token: refused.tokens[0], migrationId: "" }]);
    await refused.close();
    fakes = undefined;
    for (const code of [Code.Unavailable, Code.DeadlineExceeded, Code.Internal]) {
      const f = await setup({ steps: [], startError: new ConnectError("source went away", code) });
      expect((await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]))).code).toBe(1);
      expect(f.tokens).toHaveLength(1);
      expect(f.revoked).toEqual([]);
      await f.close();
      fakes = undefined;
    }
    const started = await setup({ steps: [], stepMs: 1000 });
    expect((await run(started, (ctx) => migrate(ctx, {}, ["web", "dst"]))).code).toBe(0);
    expect(started.revoked).toEqual([]);
  });

  it("--dry-run without failures exits 0", async () => {
    const f = await setup({ steps: [] });
    const r = await run(f, (ctx) => migrate(ctx, { dryRun: true }, ["web", "dst"]));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("All prechecks passed. Run 'ferry migrate web dst' to start the migration.");
    expect(f.revoked).toEqual([{ token: f.tokens[0], migrationId: "" }]);
  });
});

describe("ferry show-migration", () => {
  it("shows phase, progress, timings and the target as this client knows it", async () => {
    const f = await setup({ steps: HAPPY.slice(0, 4), stepMs: 5 });
    await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    while (f.migration!.statusMessage !== HAPPY[3]![1]) await new Promise((r) => setTimeout(r, 10));
    const m = f.migration!;
    m.phaseTimings = [
      create(PhaseTimingSchema, { phase: MigrationPhase.QUIESCE, startTime: m.startTime, endTime: m.startTime }),
      create(PhaseTimingSchema, { phase: MigrationPhase.IMPORT, startTime: m.startTime }),
    ];
    m.estimatedTimeRemaining = create(DurationSchema, { seconds: 42n });
    const r = await run(f, (ctx) => showMigration(ctx, {}, "web"));
    expect(r.stderr).toBe("");
    const doc = parse(r.stdout);
    expect(doc).toMatchObject({
      id: ID,
      model: "admin/web",
      phase: "IMPORT",
      status: "uploading model binaries into destination controller",
      start: expect.stringMatching(/just now|seconds ago/),
      progress: {
        summary: "40 of 200 entities, 0 bytes of 4.0 KiB",
        entities: { done: 40, total: 200 },
        bytes: { done: 0, total: 4096 },
        "logs-sent": 0,
      },
      timings: { QUIESCE: "0.0s", IMPORT: expect.stringMatching(/s \(running\)$/) },
      "phase-timings": [
        { phase: "QUIESCE", "duration-seconds": 0, running: false },
        { phase: "IMPORT", running: true },
      ],
      "time-left": "about 42s",
      "time-left-seconds": 42,
      target: { controller: "dst", uuid: DST_UUID },
    });
    expect(doc.target["ca-fingerprint"]).toBe((await f.store.controller("dst"))!.caFingerprint);
    const json = await run(f, (ctx) => showMigration(ctx, { format: "json" }, `src:${ID}`));
    const j = JSON.parse(json.stdout);
    expect(j.id).toBe(ID);
    // Machine-readable: numbers and RFC 3339 times beside the human fields.
    expect(j["start-time"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.parse(j["start-time"])).toBe(
      Number(m.startTime!.seconds) * 1000 + Math.floor(m.startTime!.nanos / 1e6),
    );
    expect(j["duration-seconds"]).toBeTypeOf("number");
    expect(j["phase-timings"][1]["duration-seconds"]).toBeGreaterThanOrEqual(0);
    expect(j.attempt).toBeTypeOf("number");
  });
});

describe("ferry abort-migration", () => {
  it("aborts before the point of no return and --wait sees ABORTDONE", async () => {
    const f = await setup({ steps: HAPPY, stepMs: 500 });
    await run(f, (ctx) => migrate(ctx, {}, ["web", "dst"]));
    const r = await run(f, (ctx) => abortMigration(ctx, { wait: true }, "web"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      `Abort of migration "${ID}" requested: model "web" stays on controller "src".\n` +
        `Migration "${ID}" aborted; model "web" is available again on controller "src".\n`,
    );
    expect(f.migration!.phase).toBe(MigrationPhase.ABORTDONE);
  });

  it("refuses clearly once past SUCCESS", async () => {
    const f = await setup({ steps: HAPPY, stepMs: 1 });
    await run(f, (ctx) => migrate(ctx, { wait: true }, ["web", "dst"]));
    const r = await run(f, (ctx) => abortMigration(ctx, {}, "web"));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ERROR cannot abort migration "${ID}": it is past the point of no return (phase DONE)\n` +
        `Controller "dst" already owns model "web"; the migration will complete.\n`,
    );
  });
});
