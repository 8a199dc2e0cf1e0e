// The reference CLI's flags where its users type them: -c on the migration
// commands, --no-prompt beside -y, `relate` for integrate, `switch -` for the
// previous model. Two controllers bootstrapped by the compiled CLI (agents
// simulated, to keep it quick).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { buildOnce, FERRYD, ferry, ok, tempHome } from "./harness.js";

const ENV = { env: { FERRY_ADMIN_PASSWORD: "admin-pass-1234" } };
let home: string;

beforeAll(async () => {
  buildOnce();
  home = tempHome("ferry-ref-flags-");
  await ok(home, ["bootstrap", "localhost", "src", "--api-port", "0", "--agents", "none"], ENV);
  await ok(home, ["bootstrap", "localhost", "dst", "--api-port", "0", "--agents", "none"], ENV);
  await ok(home, ["switch", "src"]);
  await ok(home, ["add-model", "web"]);
  await ok(home, ["deploy", "postgresql"]);
  await ok(home, ["deploy", "wordpress"]);
}, 120_000);

afterAll(async () => {
  for (const c of ["src", "dst"]) await ferry(home, ["kill-controller", c, "--no-prompt"]);
  rmSync(home, { recursive: true, force: true });
});

describe("the reference's flags", () => {
  it("relate is integrate", async () => {
    await ok(home, ["relate", "wordpress", "postgresql"]);
    const st = JSON.parse((await ok(home, ["status", "--format", "json"])).stdout) as {
      applications: Record<string, { relations?: Record<string, { "related-application": string }[]> }>;
    };
    expect(st.applications.wordpress?.relations?.db?.map((r) => r["related-application"])).toEqual(["postgresql"]);
    expect((await ok(home, ["relate", "--help"])).stdout).toContain("integrate|relate");
  });

  it("switch - goes back to the previous controller and model, and forth again", async () => {
    await ok(home, ["switch", "src:web"]);
    await ok(home, ["switch", "dst"]);
    expect((await ok(home, ["switch", "-"])).stdout.trim()).toBe("dst (controller) -> src:admin/web");
    expect((await ok(home, ["switch", "-"])).stdout.trim()).toBe("src:admin/web -> dst (controller)");
    await ok(home, ["switch", "src:web"]);
  });

  it("switch - with nowhere to go back to says so", async () => {
    const fresh = tempHome("ferry-ref-flags-fresh-");
    try {
      const r = await ferry(fresh, ["switch", "-"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("no previous controller or model to switch back to");
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("-c names the source controller of migrate, show-migration and abort-migration", async () => {
    await ok(home, ["wait-for", "model", "web", "--timeout", "60s"], { timeoutMs: 90_000 });
    await ok(home, ["switch", "dst"]);
    // From another current controller: -c says where the model is.
    const dry = await ok(home, ["migrate", "-c", "src", "web", "dst", "--dry-run"]);
    expect(dry.stdout).toContain("All prechecks passed.");
    const clash = await ferry(home, ["migrate", "-c", "dst", "src:web", "dst", "--dry-run"]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`"src:web" names controller "src" but -c says "dst"`);
    await ok(home, ["migrate", "-c", "src", "web", "dst", "--wait"], { timeoutMs: 120_000 });
    const shown = JSON.parse((await ok(home, ["show-migration", "-c", "src", "web", "--format", "json"])).stdout) as {
      phase: string;
    };
    expect(shown.phase).toBe("DONE");
    const abort = await ferry(home, ["abort-migration", "-c", "src", "web"]);
    expect(abort.code).toBe(1);
    expect(abort.stderr).toMatch(/has already ended \(DONE\)|past the point of no return/);
  }, 180_000);

  it("ferry version, ferry --version and ferryd --version agree", async () => {
    const v = (await ok(home, ["version"])).stdout.trim();
    expect(v).toMatch(/^\d+\.\d+\.\d+/);
    expect((await ok(home, ["--version"])).stdout.trim()).toBe(v);
    const d = execFileSync(process.execPath, [FERRYD, "--version"], { encoding: "utf8" }).trim();
    expect(d).toBe(v);
  });

  it("--no-prompt confirms like -y", async () => {
    await ok(home, ["add-model", "scratch", "-c", "dst"]);
    const r = await ok(home, ["destroy-model", "dst:scratch", "--no-prompt"]);
    expect(r.code).toBe(0);
    const models = await ok(home, ["models", "-c", "dst"]);
    expect(models.stdout).not.toContain("scratch");
  });
});
