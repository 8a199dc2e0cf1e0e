// End to end (issue 12 item 2): several models migrated at once, and --all,
// the upgrade recipe. Every precheck of every model runs before anything
// starts; then a bounded number migrate at a time.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../../src/client/connect.js";
import { scrape } from "../helpers/prometheus.js";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnce, eventually, ferry, ok, tempHome } from "./harness.js";

const asAdmin = { env: { FERRY_ADMIN_PASSWORD: "admin-pass-1234" } };
let home: string;

const modelsOn = async (c: string) =>
  (JSON.parse((await ok(home, ["models", "-c", c, "--format", "json"])).stdout).models as { name: string }[])
    .map((m) => m.name.replace(/^admin\//, ""))
    .sort();

beforeAll(async () => {
  buildOnce();
  home = tempHome("ferry-many-");
  // The source serves metrics: the migrations below move its counters.
  await ok(home, ["bootstrap", "localhost", "src", "--api-port", "0"], {
    env: { ...asAdmin.env, FERRY_METRICS_LISTEN: "127.0.0.1:0" },
  });
  await ok(home, ["bootstrap", "localhost", "dst", "--api-port", "0"], asAdmin);
  await ok(home, ["add-user", "zed", "-c", "src"], { input: "zed-pass-12345\n" });
  for (const m of ["alpha", "beta", "gamma"]) {
    await ok(home, ["add-model", m, "-c", "src"]);
    await ok(home, ["deploy", "postgresql", "-m", `src:${m}`]);
  }
  await ok(home, ["grant", "zed", "read", "src:gamma"]);
  // beta's name is taken on the destination.
  await ok(home, ["add-model", "beta", "-c", "dst", "--no-switch"]);
  for (const m of ["alpha", "beta", "gamma"]) {
    await eventually(
      async () => {
        const d = JSON.parse((await ok(home, ["status", "-m", `src:${m}`, "--format", "json"])).stdout);
        return Object.values(d.applications as Record<string, any>).every((a) =>
          Object.values(a.units ?? {}).every((u: any) => u["agent-status"].current === "idle"),
        )
          ? true
          : undefined;
      },
      60_000,
      `units of ${m} to settle`,
    );
  }
}, 240_000);

afterAll(async () => {
  if (!home) return;
  for (const c of ["src", "dst"]) await ferry(home, ["kill-controller", c, "-y"]);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("ferry migrate with several models", () => {
  it("prechecks them all first, lists every failure of every model, and starts nothing", async () => {
    const r = await ferry(home, ["migrate", "src:alpha", "src:beta", "src:gamma", "dst"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n");
    expect(lines[0]).toBe("ERROR prechecks failed for 2 of 3 models: nothing was started");
    expect(r.stderr).toContain(
      'model "beta" cannot be migrated to controller "dst":\n  model named "beta" already exists on destination controller',
    );
    expect(r.stderr).toContain('model "gamma" cannot be migrated to controller "dst":\n');
    expect(r.stderr).toContain("    - zed");
    expect(r.stderr).not.toContain('model "alpha" cannot');
    // Nothing started: alpha (whose checks passed) has no migration and is still here.
    const alpha = parse((await ok(home, ["show-model", "src:alpha"])).stdout).alpha;
    expect(alpha.status.current).toBe("available");
    expect(alpha.status.migration).toBeUndefined();
    expect(await modelsOn("dst")).toEqual(["beta", "controller"]);
  }, 60_000);

  it("balance proposes the busiest model, and with -y moves it", async () => {
    await ok(home, ["destroy-model", "dst:beta", "-y"]);
    await ok(home, ["add-user", "zed", "-c", "dst"], { input: "zed-pass-12345\n" });
    await eventually(async () => ((await modelsOn("dst")).includes("beta") ? undefined : true), 30_000, "beta gone");
    // Generated load: gamma the busiest, alpha next, beta idle.
    const rec = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.src;
    const account = parse(readFileSync(join(home, "accounts.yaml"), "utf8")).controllers.src;
    const c = connect({ addresses: rec["api-endpoints"], caPem: rec["ca-cert"], token: account.token });
    try {
      for (let i = 0; i < 60; i++) await c.model.getStatus({ model: "admin/gamma" });
      for (let i = 0; i < 40; i++) await c.model.getStatus({ model: "admin/alpha" });
    } finally {
      c.close();
    }
    const load = JSON.parse((await ok(home, ["models", "-c", "src", "--load", "--format", "json"])).stdout);
    expect(load.models.slice(0, 2).map((m: { model: string }) => m.model)).toEqual(["gamma", "alpha"]);

    const dry = await ok(home, ["balance", "src", "dst", "--dry-run"]);
    expect(dry.stdout).toMatch(/^Plan: move 1 model from "src" to "dst", busiest first:\n/);
    expect(dry.stdout).toMatch(/\ngamma\s+\d+\.\d\d\s+\d+\s+~\d+ s\n/);
    expect(dry.stdout).not.toMatch(/\n(alpha|beta)\s/);
    expect(dry.stdout).toMatch(/Source "src": [\d.]+ calls\/s now, [\d.]+ after \(target 70%/);
    expect(dry.stdout.trim().split("\n").at(-1)).toBe("Dry run: nothing was changed.");
    expect(await modelsOn("dst")).toEqual(["controller"]);
    // Not on a terminal and no -y: refused, nothing moved.
    const asked = await ferry(home, ["balance", "src", "dst"]);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain("ERROR balancing needs confirmation");
    const r = await ok(home, ["balance", "src", "dst", "-y", "--wait"], { timeoutMs: 120_000 });
    expect(r.stdout).toContain('gamma: completed, now on controller "dst"');
    expect(await modelsOn("dst")).toEqual(["controller", "gamma"]);
  }, 120_000);

  it("--all moves every model but the controller model, a bounded number at a time", async () => {
    // A dry run of them all passes now, and changes nothing.
    const dry = await ok(home, ["migrate", "-c", "src", "--all", "dst", "--dry-run"]);
    expect(dry.stdout).toContain(
      'Dry run: 2 models can be migrated to controller "dst" (alpha, beta); nothing was changed.',
    );
    expect(await modelsOn("dst")).toEqual(["controller", "gamma"]);
    const r = await ok(home, ["migrate", "-c", "src", "--all", "dst", "--parallel", "1", "--wait"], {
      timeoutMs: 180_000,
    });
    expect(r.stdout).toMatch(/^Migrating 2 models to controller "dst", 1 at a time\.\n/);
    for (const m of ["alpha", "beta"]) {
      expect(r.stdout).toMatch(new RegExp(`^${m}: Migration started with ID "[0-9a-f-]+:0"$`, "m"));
      expect(r.stdout).toContain(`${m}: completed, now on controller "dst"`);
      expect(r.stdout).toContain(`${m}: REAP: successful`);
    }
    // One at a time: the second starts only after the first has completed.
    const lines = r.stdout.trim().split("\n");
    const starts = lines.flatMap((l, i) => (/: Migration started with ID/.test(l) ? [i] : []));
    const firstDone = lines.findIndex((l) => /: completed, now on controller/.test(l));
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBeGreaterThan(firstDone);
    expect(r.stdout.trim().split("\n").at(-1)).toBe('All 2 migrations completed: alpha, beta now on controller "dst".');
    expect(await modelsOn("dst")).toEqual(["alpha", "beta", "controller", "gamma"]);
    expect(await modelsOn("src")).toEqual(["controller"]);
    // The source's metrics saw them: three migrations done, each phase timed,
    // what they moved, and (after a stale request) a redirect served.
    const src = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.src;
    const metrics = (JSON.parse(readFileSync(src["pid-file"], "utf8")) as { metrics: string }).metrics;
    await ferry(home, ["status", "-m", "src:alpha"]);
    const m = await scrape(metrics);
    expect(m.value("ferry_migrations_ended_total", { outcome: "done" })).toBe(3);
    expect(m.value("ferry_migrations", { phase: "DONE" })).toBe(3);
    expect(m.value("ferry_migration_phase_duration_seconds_count", { phase: "IMPORT" })).toBe(3);
    expect(m.value("ferry_migration_bytes_total")).toBeGreaterThan(0);
    expect(m.value("ferry_migration_entities_total")).toBeGreaterThan(0);
    expect(m.value("ferry_redirects_served_total", { model: "admin/alpha" })).toBeGreaterThanOrEqual(1);
    // Nothing left to move.
    expect((await ok(home, ["migrate", "-c", "src", "--all", "dst"])).stdout).toBe(
      'No models to migrate on controller "src" (only the controller model).\n',
    );
  }, 240_000);
});
