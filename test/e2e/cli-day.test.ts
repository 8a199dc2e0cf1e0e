// The operator's everyday verbs (issue 10) against a bootstrapped controller
// (agents simulated, to keep it quick): remove-application, remove-machine
// [--force], expose/unexpose, show-application, wait-for --query, deploy
// --wait, debug-log filters without following, start-controller after a
// crash, and typed config values.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnce, ferry, ok, tempHome } from "./harness.js";

const ENV = { env: { FERRY_ADMIN_PASSWORD: "admin-pass-1234" } };
let home: string;

type Status = {
  machines: Record<string, unknown>;
  applications: Record<string, { exposed: boolean; units?: Record<string, { machine: string }> }>;
};
const status = async (): Promise<Status> => JSON.parse((await ok(home, ["status", "--format", "json"])).stdout);

beforeAll(async () => {
  buildOnce();
  home = tempHome("ferry-cli-day-");
  await ok(home, ["bootstrap", "localhost", "day", "--api-port", "0", "--agents", "none"], ENV);
  await ok(home, ["add-model", "web"]);
}, 120_000);

afterAll(async () => {
  await ferry(home, ["kill-controller", "day", "--no-prompt"]);
  rmSync(home, { recursive: true, force: true });
});

describe("an operator's day", () => {
  it("deploy --wait, expose, show-application, remove-application", async () => {
    const d = await ok(home, ["deploy", "postgresql", "-n", "2", "--wait", "60s"], { timeoutMs: 90_000 });
    expect(d.stdout).toContain('Application "postgresql" has settled');
    await ok(home, ["deploy", "wordpress", "--wait"], { timeoutMs: 90_000 });
    await ok(home, ["integrate", "wordpress", "postgresql"]);
    expect((await ok(home, ["expose", "wordpress"])).stdout.trim()).toBe("exposed wordpress");
    expect((await ok(home, ["expose", "wordpress"])).stdout.trim()).toBe("wordpress is already exposed");
    expect((await status()).applications.wordpress?.exposed).toBe(true);
    await ok(home, ["wait-for", "model", "web", "--timeout", "60s"], { timeoutMs: 90_000 });
    const shown = JSON.parse((await ok(home, ["show-application", "wordpress", "--format", "json"])).stdout)
      .wordpress as Record<string, unknown> & { charm: { sha256: string }; relations: { id: number }[] };
    expect(shown.charm.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.relations.some((r) => typeof r.id === "number")).toBe(true);
    expect(shown.exposed).toBe(true);
    expect(shown.config).toBeTypeOf("object");
    await ok(home, ["unexpose", "wordpress"]);
    const wpMachine = (await status()).applications.wordpress!.units!["wordpress/0"]!.machine;

    // The reference's status filters and views.
    const only = (await ok(home, ["status", "wordpress"])).stdout;
    expect(only).toMatch(/^wordpress\s+active/m);
    expect(only).not.toMatch(/^postgresql\s+active/m);
    expect(only).toContain("Integration provider");
    expect((await ok(home, ["status", "wordpress", "--no-relations"])).stdout).not.toContain("Integration");
    const short = (await ok(home, ["status", "postgresql/*", "--format", "short"])).stdout.trim().split("\n");
    expect(short).toHaveLength(2);
    for (const l of short) expect(l).toMatch(/^- postgresql\/\d: \S+ \(agent:idle, workload:active\)$/);
    expect((await ok(home, ["status", "--format", "oneline"])).stdout.trim().split("\n")).toHaveLength(3);
    const byMachine = JSON.parse((await ok(home, ["status", wpMachine, "--format", "json"])).stdout) as Status;
    expect(Object.keys(byMachine.applications)).toEqual(["wordpress"]);
    expect(Object.keys(byMachine.machines)).toEqual([wpMachine]);
    const none = await ok(home, ["status", "error"]);
    expect(none.stderr).toContain('Nothing in model "admin/web" matches "error".');
    expect((await ferry(home, ["status", "Bad!"])).stderr).toContain('invalid status selector "Bad!"');

    const missing = await ferry(home, ["show-application", "nosuch"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('application "nosuch" not found in model');

    const removed = await ok(home, ["remove-application", "wordpress"]);
    expect(removed.stdout).toContain("will remove application wordpress");
    expect(removed.stdout).toContain("- will remove unit wordpress/0");
    await ok(home, ["wait-for", "application", "wordpress", "--query", "!exists", "--timeout", "60s"], {
      timeoutMs: 90_000,
    });
    expect((await status()).applications.wordpress).toBeUndefined();
  }, 240_000);

  it("remove-machine refuses a machine with units unless --force", async () => {
    const st = await status();
    const machine = st.applications.postgresql!.units!["postgresql/0"]!.machine;
    const refused = await ferry(home, ["remove-machine", machine]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`machine ${machine} hosts unit postgresql/0`);
    expect(refused.stderr).toContain("--force");
    const forced = await ok(home, ["remove-machine", machine, "--force"]);
    expect(forced.stdout).toContain("- will remove unit postgresql/0");
    await ok(home, ["wait-for", "application", "postgresql", "--query", "units==1 && active-units==1"], {
      timeoutMs: 90_000,
    });
    await ok(home, ["wait-for", "model", "web", "--query", "machines==2", "--timeout", "60s"], { timeoutMs: 90_000 });
    expect(Object.keys((await status()).machines)).not.toContain(machine);
    const bad = await ferry(home, ["wait-for", "model", "web", "--query", "nosuch==1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown field "nosuch"');
  }, 240_000);

  it("debug-log filters on the controller and stops with --no-tail", async () => {
    const out = (await ok(home, ["debug-log", "--replay", "--no-tail", "--include", "postgresql"])).stdout;
    const lines = out.trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^(unit-postgresql-\d+|application-postgresql):/);
    const ex = (await ok(home, ["debug-log", "--replay", "--no-tail", "--exclude-module", "ferry.deployer"])).stdout;
    expect(ex).not.toContain("ferry.deployer");
    const warn = await ok(home, ["debug-log", "--no-tail", "--level", "WARNING"]);
    expect(warn.code).toBe(0);
  });

  it("answers agree with each other: one message, the controller, what to do", async () => {
    // An existing user is refused before anyone is asked for a password.
    expect((await ferry(home, ["add-user", "admin"])).stderr).toBe('ERROR user "admin" already exists\n');
    // No request field paths ("set.nosuch:") in what a person reads.
    expect((await ferry(home, ["config", "postgresql", "nosuch=1"])).stderr).toBe('ERROR unknown option "nosuch"\n');
    const two = await ferry(home, ["config", "postgresql", "nosuch=1", "other=2"]);
    expect(two.stderr).toBe('ERROR invalid request:\n  - unknown option "nosuch"\n  - unknown option "other"\n');
    // Not found: which controller said so, and where to look.
    expect((await ferry(home, ["status", "-m", "nope"])).stderr).toBe(
      'ERROR model "nope" not found on controller "day"\nRun \'ferry models\' to list the models you can see.\n',
    );
    expect((await ferry(home, ["remove-unit", "postgresql/99"])).stderr).toBe(
      'ERROR unit "postgresql/99" not found on controller "day"\nSee the model\'s units with \'ferry status\'.\n',
    );
    // A reference command Ferry lacks says so, instead of suggesting remove-unit.
    const missing = await ferry(home, ["remove-user", "bob"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^ERROR "remove-user" is a command of the reference system that Ferry does not have/,
    );
    expect(missing.stderr).not.toContain("remove-unit");
  });

  it("start-controller starts a crashed controller again at the same address", async () => {
    const before = JSON.parse((await ok(home, ["show-controller", "--format", "json"])).stdout).day;
    expect(before.models).toBeGreaterThanOrEqual(1);
    expect(before["uptime-seconds"]).toBeTypeOf("number");
    const pid = JSON.parse((await ok(home, ["controllers", "--format", "json"])).stdout);
    expect(pid.controllers.day.status).toBe("up");
    const { readFileSync } = await import("node:fs");
    const pf = JSON.parse(readFileSync(`${before["data-dir"]}/api-port`, "utf8")) as { pid: number };
    process.kill(pf.pid, "SIGKILL");
    const { waitForExit } = await import("../../src/cli/daemon.js");
    expect(await waitForExit(pf.pid, 10_000)).toBe(true);
    const down = await ok(home, ["controllers"]);
    expect(down.stderr).toContain("ferry start-controller day");
    const started = await ok(home, ["start-controller", "day"], { timeoutMs: 90_000 });
    expect(started.stdout).toContain('Controller "day" is running again.');
    expect((await ok(home, ["status"])).code).toBe(0);
    expect((await ok(home, ["start-controller", "day"])).stdout).toContain("already running");
  }, 180_000);
});
