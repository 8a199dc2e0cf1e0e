// End to end: model migration driven by the compiled CLI between real ferryd
// processes bootstrapped from separate FERRY_HOMEs. The admin's client knows
// every controller; bob (who has read access to the model) knows only the
// source; carol never had access. One scenario, in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { parse } from "yaml";
import { missingUsersAdvisory } from "../../src/domain/prechecks.js";
import { buildOnce, eventually, FERRYD, ferry, ok, settled, stripLive, tempHome, type Result } from "./harness.js";
import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const PW = { admin: "admin-pass-1234", bob: "bob-pass-5678", carol: "carol-pass-9012" };
const asAdmin = { env: { FERRY_ADMIN_PASSWORD: PW.admin } };
// The source pauses this long in every phase, so the migration can be
// watched, written to and aborted while it runs.
const SLOW = { env: { FERRY_ADMIN_PASSWORD: PW.admin, FERRY_MIGRATION_TEST_DELAY_MS: "1000" } };
// (1 s a phase: the checks made while a migration runs are a few CLI runs each, slower on a busy machine.)

let admin: string; // bootstraps every controller
let bob: string; // logged in to src only
let carol: string; // logged in to src, never had access to the model
const CONTROLLERS = ["src", "dst", "third", "odd"];

type Doc = Record<string, any>;
const record = (name: string): Doc => parse(readFileSync(join(admin, "controllers.yaml"), "utf8")).controllers[name];
/**
 * The model's status document without its units' workload reports: the live
 * agents' workloads keep reporting (the migration must not stop them), so
 * their last report is not model content to compare.
 */
async function statusJson(h: string, model: string): Promise<Doc> {
  return stripLive(JSON.parse((await ok(h, ["status", "-m", model, "--format", "json"])).stdout) as Doc);
}

/** What must survive a migration: every machine, application, unit, relation and config value. */
const essence = (d: Doc) => ({ machines: d.machines, applications: d.applications });

function failed(r: Result): Result {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
}

let before: Doc; // status of src:web before it moved
let id = "";

beforeAll(async () => {
  buildOnce();
  [admin, bob, carol] = [tempHome(), tempHome(), tempHome()];
  await ok(admin, ["bootstrap", "localhost", "src", "--api-port", "0"], SLOW);
  await ok(admin, ["bootstrap", "localhost", "dst", "--api-port", "0"], asAdmin);
  await ok(admin, ["bootstrap", "localhost", "third", "--api-port", "0"], asAdmin);
  await ok(admin, ["bootstrap", "localhost", "odd", "--api-port", "0", "--cloud-type", "ec2"], asAdmin);
  for (const c of ["src", "dst", "third"]) await ok(admin, ["add-user", "bob", "-c", c], { input: `${PW.bob}\n` });
  await ok(admin, ["add-user", "carol", "-c", "src"], { input: `${PW.carol}\n` });
  await ok(admin, ["switch", "src"]);
  await ok(admin, ["add-model", "web"]);
  await ok(admin, ["deploy", "postgresql"]);
  await ok(admin, ["deploy", "wordpress", "-n", "2"]);
  await ok(admin, ["integrate", "wordpress", "postgresql"]);
  await ok(admin, ["config", "wordpress", "blog-title=Moving house"]);
  await ok(admin, ["model-config", "team=ops"]);
  await ok(admin, ["grant", "bob", "read", "web"]);
  const src = record("src");
  for (const [home, user] of [
    [bob, "bob"],
    [carol, "carol"],
  ] as const) {
    await ok(
      home,
      ["login", src["api-endpoints"][0], "-c", "src", "-u", user, "--fingerprint", src["ca-fingerprint"]],
      {
        input: `${PW[user]}\n`,
      },
    );
  }
  before = await eventually(
    async () => {
      const d = await statusJson(admin, "src:web");
      return settled(d) ? d : undefined;
    },
    30_000,
    "units to settle",
  );
}, 180_000);

afterAll(async () => {
  for (const c of CONTROLLERS) if (admin) await ferry(admin, ["kill-controller", c, "-y"]);
  for (const h of [admin, bob, carol]) if (h) rmSync(h, { recursive: true, force: true });
}, 120_000);

describe("ferry migrate end to end", () => {
  it("refuses a destination the client does not know, saying how to add it", async () => {
    const r = failed(await ferry(admin, ["migrate", "web", "nowhere"]));
    expect(r.stderr).toBe(
      'ERROR controller "nowhere" is not known to this client\n' +
        "Add it with 'ferry login <host:port> -c nowhere', then run 'ferry migrate' again.\n",
    );
  });

  it("--dry-run prints every precheck failure, says nothing changed, and changes nothing", async () => {
    const r = failed(await ferry(admin, ["migrate", "web", "odd", "--dry-run"]));
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ERROR 2 prechecks failed: model "web" cannot be migrated to controller "odd"\n/);
    expect(r.stderr).toMatch(/\nDry run: nothing was changed\.\n$/);
    expect(r.stderr).toContain('destination cloud type "ec2" differs from "lxd"\n');
    expect(r.stderr).toContain(`${missingUsersAdvisory(["bob"])}\n`);
    // Nothing moved, nothing locked, no migration recorded.
    const show = parse((await ok(admin, ["show-model", "web"])).stdout).web;
    expect(show.status.current).toBe("available");
    expect(show.status.migration).toBeUndefined();
    expect(failed(await ferry(admin, ["show-migration", "web"])).stderr).toMatch(
      /^ERROR migration of model .* not found/,
    );
    const odd = JSON.parse((await ok(admin, ["models", "-c", "odd", "--format", "json"])).stdout);
    expect(odd.models.map((m: Doc) => m.name)).toEqual(["admin/controller"]);
    // Without --dry-run: the same failures, and still nothing changes.
    const real = failed(await ferry(admin, ["migrate", "web", "odd"]));
    expect(real.stdout).toBe("");
    expect(real.stderr).toContain(missingUsersAdvisory(["bob"]));
    await ok(admin, ["model-config", "team=ops"]); // still writable
    // Neither token (the dry run's, the refused start's) is left valid on the destination.
    const oddDb = new Database(join(admin, "controllers", "odd", "ferry.db"), { readonly: true });
    try {
      expect(oddDb.prepare("SELECT count(*) AS n FROM tokens WHERE kind = 'migration'").get()).toEqual({ n: 0 });
    } finally {
      oddDb.close();
    }
  }, 30_000);

  it("migrates with --wait while the source shows progress, refuses writes and keeps reads", async () => {
    const run = ferry(admin, ["migrate", "web", "dst", "--wait"], { timeoutMs: 60_000 });
    const notes = await eventually(
      async () => {
        const r = await ferry(admin, ["status", "-m", "src:web"]);
        const m = /^web\s+src\s+\S+\s+\S+\s+\S+\s+(migrating: .*)$/m.exec(r.stdout);
        return m?.[1];
      },
      10_000,
      "the Notes column",
    );
    expect(notes.length).toBeLessThanOrEqual(120);
    expect(failed(await ferry(admin, ["add-unit", "wordpress", "-m", "src:web"])).stderr).toBe(
      "ERROR model migration in progress\n",
    );
    const show = parse((await ok(admin, ["show-model", "src:web"])).stdout).web;
    expect(show.status.current).toBe("busy");
    expect(show.status.message).toMatch(/^migrating: /);
    expect(show.status.migration).toBe(show.status.message.slice("migrating: ".length));
    expect(show.status["migration-start"]).toMatch(/just now|seconds ago/);
    const mig = parse((await ok(admin, ["show-migration", "web"])).stdout);
    expect(mig.target).toMatchObject({ controller: "dst", uuid: record("dst").uuid });
    expect(mig.progress).toHaveProperty("entities");

    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    id = /^Migration started with ID "([0-9a-f-]{36}:0)"$/.exec(lines[0]!)![1]!;
    expect(lines).toContain("IMPORT: uploading model binaries into destination controller");
    expect(lines).toContain("REAP: successful, removing model from source controller");
    expect(new Set(lines).size).toBe(lines.length); // each message once
    expect(lines.at(-2)).toBe(`Migration "${id}" completed: model "web" is now on controller "dst".`);
  }, 60_000);

  it("the destination has every machine, application, unit, relation, config value and user", async () => {
    const after = await statusJson(admin, "dst:web");
    expect(after.model["model-status"].current).toBe("available");
    expect(essence(after)).toEqual(essence(before));
    expect((await ok(admin, ["config", "wordpress", "blog-title", "-m", "dst:web"])).stdout).toBe("Moving house\n");
    expect((await ok(admin, ["model-config", "team", "-m", "dst:web"])).stdout).toBe("ops\n");
    const show = parse((await ok(admin, ["show-model", "dst:web"])).stdout).web;
    expect(show.status.migration).toBeUndefined();
    expect(Object.keys(show.users).sort()).toEqual(["admin", "bob"]);
    const done = parse((await ok(admin, ["show-migration", `src:${id}`])).stdout);
    expect(done).toMatchObject({ phase: "DONE", id });
    expect(done.end).toMatch(/just now|seconds ago/);
  }, 30_000);

  it("the source answers message (a) to a client that knows the destination", async () => {
    // Every command that names a model, reads and writes alike.
    const commands = [
      ["status", "-m", "src:web"],
      ["status", "-m", "src:web", "--format", "json"],
      ["show-model", "src:web"],
      ["debug-log", "-m", "src:web"],
      ["config", "wordpress", "-m", "src:web"],
      ["model-config", "-m", "src:web"],
      ["add-machine", "-m", "src:web"],
      ["deploy", "ubuntu", "-m", "src:web"],
      ["add-unit", "wordpress", "-m", "src:web"],
      ["remove-unit", "wordpress/0", "-m", "src:web"],
      ["integrate", "wordpress", "postgresql", "-m", "src:web"],
      ["remove-relation", "wordpress", "postgresql", "-m", "src:web"],
      ["grant", "bob", "write", "src:web"],
      ["revoke", "bob", "read", "src:web"],
      ["destroy-model", "src:web", "-y"],
      ["migrate", "src:web", "third"],
    ];
    for (const args of commands) {
      const r = failed(await ferry(admin, args));
      expect(r.stderr, args.join(" ")).toBe(
        'ERROR Model "web" has been migrated to controller "dst".\n' + "To access it run 'ferry switch dst:web'.\n",
      );
    }
    const sw = await ok(admin, ["switch", "dst:web"]);
    expect(sw.stdout).toContain("-> dst:admin/web");
    expect(essence(stripLive(JSON.parse((await ok(admin, ["status", "--format", "json"])).stdout)))).toEqual(
      essence(before),
    );
  }, 30_000);

  it("message (b) to a client that never saw the destination, (a) once it logged in there", async () => {
    const dst = record("dst");
    const r = failed(await ferry(bob, ["status", "-m", "src:web"]));
    expect(r.stderr).toBe(
      [
        'ERROR Model "web" has been migrated to another controller.',
        "To access it run one of the following commands (you can replace the -c argument with your own preferred controller name):",
        ...dst["api-endpoints"].map((a: string) => `  'ferry login ${a} -c dst'`),
        "",
        `New controller fingerprint [${dst["ca-fingerprint"]}]`,
        "",
      ].join("\n"),
    );
    await ok(
      bob,
      ["login", dst["api-endpoints"][0], "-c", "dst", "-u", "bob", "--fingerprint", dst["ca-fingerprint"]],
      {
        input: `${PW.bob}\n`,
      },
    );
    const a = failed(await ferry(bob, ["show-model", "src:web"]));
    expect(a.stderr).toBe(
      'ERROR Model "web" has been migrated to controller "dst".\n' + "To access it run 'ferry switch dst:admin/web'.\n",
    );
    await ok(bob, ["switch", "dst:admin/web"]);
    expect(Object.keys((await statusJson(bob, "dst:admin/web")).applications).sort()).toEqual([
      "postgresql",
      "wordpress",
    ]);
  }, 30_000);

  it("a user who never had access gets plain not-found", async () => {
    const r = failed(await ferry(carol, ["status", "-m", "src:admin/web"]));
    // The same answer as for a model that never existed: the controller and where to look, nothing more.
    expect(r.stderr).toBe(
      'ERROR model "admin/web" not found on controller "src"\n' +
        "Run 'ferry models' to list the models you can see.\n",
    );
  });

  it("abort-migration puts the model back, exactly as it was, and a second attempt works", async () => {
    await ok(admin, ["add-model", "api", "-c", "src"]);
    await ok(admin, ["deploy", "postgresql", "-m", "src:api"]);
    const apiBefore = await eventually(
      async () => {
        const d = await statusJson(admin, "src:api");
        return settled(d) && Object.keys(d.machines).length === 1 ? d : undefined;
      },
      20_000,
      "api to settle",
    );
    const start = await ok(admin, ["migrate", "src:api", "dst"]);
    const first = /"(.+:0)"/.exec(start.stdout)![1]!;
    const abort = await ok(admin, ["abort-migration", "src:api", "--wait"], { timeoutMs: 30_000 });
    expect(abort.stdout).toBe(
      `Abort of migration "${first}" requested: model "api" stays on controller "src".\n` +
        `Migration "${first}" aborted; model "api" is available again on controller "src".\n`,
    );
    const mig = parse((await ok(admin, ["show-migration", "src:api"])).stdout);
    expect(mig.phase).toBe("ABORTDONE");
    expect(mig.failure).toMatch(/abort requested by admin/);
    const show = parse((await ok(admin, ["show-model", "src:api"])).stdout).api;
    expect(show.status.current).toBe("available");
    expect(show.status["migration-end"]).toMatch(/just now|seconds ago/);
    expect(essence(await statusJson(admin, "src:api"))).toEqual(essence(apiBefore));
    expect(JSON.parse((await ok(admin, ["models", "-c", "dst", "--format", "json"])).stdout).models).toHaveLength(2);
    const again = await ok(admin, ["migrate", "src:api", "dst", "--wait"], { timeoutMs: 60_000 });
    expect(again.stdout).toMatch(/^Migration started with ID "[0-9a-f-]{36}:1"$/m);
    const late = failed(await ferry(admin, ["abort-migration", "src:api"]));
    expect(late.stderr).toMatch(
      /^ERROR cannot abort migration ".+:1": it is past the point of no return \(phase DONE\)\n/,
    );
  }, 90_000);

  it("--wait rides out a kill -9 of the source mid-migration; the migration resumes and completes", async () => {
    await ok(admin, ["add-model", "crash", "-c", "src"]);
    await ok(admin, ["deploy", "postgresql", "-m", "src:crash"]);
    await eventually(async () => (settled(await statusJson(admin, "src:crash")) ? true : undefined), 20_000, "units");
    let finished: Result | undefined;
    const run = ferry(admin, ["migrate", "src:crash", "dst", "--wait"], { timeoutMs: 90_000 }).then(
      (r) => (finished = r),
    );
    await eventually(
      async () => {
        if (finished) throw new Error(`the migration ended early:\n${finished.stdout}${finished.stderr}`);
        // Straight from the source's store: a CLI process per look can be
        // slower than a phase on a loaded machine.
        const db = new Database(join(admin, "controllers", "src", "ferry.db"), { readonly: true });
        try {
          const row = db.prepare("SELECT phase FROM migrations WHERE model_name = 'crash'").get() as
            { phase: string } | undefined;
          return ["IMPORT", "PROCESSRELATIONS", "VALIDATION"].includes(row?.phase ?? "") ? true : undefined;
        } finally {
          db.close();
        }
      },
      15_000,
      "the migration to reach IMPORT",
      50,
    );
    const src = record("src");
    const { pid } = JSON.parse(readFileSync(src["pid-file"], "utf8"));
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    restartFerryd(src, SLOW.env);
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Lost contact with controller "src"; reconnecting...');
    expect(r.stdout).toMatch(/^Migration ".+:0" completed: model "crash" is now on controller "dst"\.$/m);
    expect(Object.keys((await statusJson(admin, "dst:crash")).applications)).toEqual(["postgresql"]);
  }, 120_000);

  it("follows a chain src -> dst -> third -> src", async () => {
    await ok(admin, ["migrate", "dst:web", "third", "--wait"], { timeoutMs: 60_000 });
    const viaDst = failed(await ferry(admin, ["status", "-m", "dst:web"]));
    expect(viaDst.stderr).toContain('has been migrated to controller "third"');
    // The source points at the next hop at least (or straight at the end).
    const viaSrc = failed(await ferry(admin, ["status", "-m", "src:web"]));
    expect(viaSrc.stderr).toMatch(/has been migrated to controller "(dst|third)"/);
    expect(essence(await statusJson(admin, "third:web"))).toEqual(essence(before));
    await ok(admin, ["migrate", "third:web", "src", "--wait"], { timeoutMs: 60_000 });
    expect(essence(await statusJson(admin, "src:web"))).toEqual(essence(before));
    expect(failed(await ferry(admin, ["status", "-m", "third:web"])).stderr).toContain(
      'has been migrated to controller "src"',
    );
  }, 120_000);
});

/** Starts a bootstrapped controller's ferryd again on the same data dir and port, as an operator would. */
function restartFerryd(rec: Doc, env: Record<string, string>): void {
  const dataDir = rec["data-dir"];
  const log = openSync(join(dataDir, "ferryd.log"), "a");
  const child = spawn(
    process.execPath,
    [
      FERRYD,
      "--name",
      "src",
      "--data-dir",
      dataDir,
      "--listen",
      rec["api-endpoints"][0],
      "--port-file",
      rec["pid-file"],
    ],
    { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } },
  );
  child.unref();
}
