// End to end: the compiled `ferry` CLI against a controller it bootstraps
// (ferryd on a free port), in temporary FERRY_HOMEs. One scenario, in order.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { parse, stringify } from "yaml";
import { buildCharmArchive } from "../../src/domain/charms.js";
import { buildOnce, eventually, FERRY, ferry, ok, tempHome } from "./harness.js";

const ADMIN_PW = "admin-pass-1234";
const BOB_PW = "bob-pass-5678";

let home: string; // the admin's client
let home2: string; // bob's client, an independent FERRY_HOME
let address = "";
let fingerprint = "";
let dataDir = "";
let pid = 0;
let killed = false;

type Doc = Record<string, any>;

function alive(p: number): boolean {
  try {
    process.kill(p, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${p}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

beforeAll(async () => {
  buildOnce();
  home = tempHome();
  home2 = tempHome();
}, 120_000);

afterAll(async () => {
  // Never leave a daemon behind, whatever failed.
  if (!killed && home) await ferry(home, ["kill-controller", "src", "-y"]);
  if (pid) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  for (const h of [home, home2]) if (h) rmSync(h, { recursive: true, force: true });
}, 60_000);

async function statusJson(h = home, extra: string[] = []): Promise<Doc> {
  return JSON.parse((await ok(h, ["status", "--format", "json", ...extra])).stdout);
}

describe("ferry CLI end to end", () => {
  it("bootstraps a controller on a free port and logs in as admin", async () => {
    const r = await ok(home, ["bootstrap", "localhost/localhost", "src", "--api-port", "0"], {
      env: { FERRY_ADMIN_PASSWORD: ADMIN_PW },
    });
    expect(r.stdout).toMatch(/Bootstrap complete, controller "src" is now available at 127\.0\.0\.1:\d+\./);
    expect(r.stdout).not.toContain("Admin password:"); // given, not generated
    // Progress goes to stderr as plain lines when piped.
    expect(r.stderr).toContain("Waiting for the controller");

    const controllers = parse(readFileSync(join(home, "controllers.yaml"), "utf8"));
    const src = controllers.controllers.src;
    expect(controllers["current-controller"]).toBe("src");
    expect(src.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(src["ca-cert"]).toContain("BEGIN CERTIFICATE");
    expect(src["ca-fingerprint"]).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(src["cloud-type"]).toBe("lxd");
    address = src["api-endpoints"][0];
    fingerprint = src["ca-fingerprint"];
    dataDir = src["data-dir"];
    pid = src.pid;
    expect(existsSync(join(dataDir, "ferryd.log"))).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, "api-port"), "utf8")).address).toBe(address);

    const accounts = parse(readFileSync(join(home, "accounts.yaml"), "utf8"));
    expect(accounts.controllers.src.user).toBe("admin");
    expect(accounts.controllers.src.token).toBeTruthy();
    expect(statSync(join(home, "accounts.yaml")).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("refuses a second controller with the same name", async () => {
    const r = await ferry(home, ["bootstrap", "localhost", "src", "--api-port", "0"], {
      env: { FERRY_ADMIN_PASSWORD: ADMIN_PW },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('ERROR controller "src" already exists in the client store\n');
  });

  it("whoami and controllers show the admin session", async () => {
    const who = await ok(home, ["whoami"]);
    expect(who.stdout).toMatch(/^Controller:\s+src$/m);
    expect(who.stdout).toMatch(/^User:\s+admin$/m);
    expect(who.stdout).toMatch(/^Access:\s+superuser$/m);
    const list = await ok(home, ["controllers", "--format", "json"]);
    expect(JSON.parse(list.stdout)["current-controller"]).toBe("src");
  });

  it("adds a model, deploys postgresql and wordpress, relates them and adds a unit", async () => {
    expect((await ok(home, ["add-model", "migrate"])).stdout).toContain("Added 'migrate' model");
    expect((await ok(home, ["switch"])).stdout.trim()).toBe("src:admin/migrate");
    expect((await ok(home, ["deploy", "postgresql"])).stdout).toContain('Deployed "postgresql"');
    expect((await ok(home, ["deploy", "wordpress"])).stdout).toContain('Deployed "wordpress"');
    expect((await ok(home, ["integrate", "wordpress", "postgresql"])).stdout).toContain("wordpress:db postgresql:db");
    expect((await ok(home, ["add-unit", "wordpress"])).stdout).toMatch(/added unit wordpress\/1/);
  }, 60_000);

  it("status --format json has the reference document's keys", async () => {
    const doc = await eventually(
      async () => {
        const d = await statusJson();
        const units = Object.values(d.applications).flatMap((a: any) => Object.values(a.units ?? {})) as Doc[];
        const settled =
          units.length === 3 &&
          units.every((u) => u["agent-status"].current === "idle" && u["workload-status"].current === "active");
        return settled ? d : undefined;
      },
      20_000,
      "units to settle",
    );
    expect(Object.keys(doc)).toEqual(["model", "machines", "applications", "controller"]);
    expect(doc.model).toMatchObject({
      name: "migrate",
      type: "iaas",
      controller: "src",
      cloud: "localhost",
      region: "localhost",
    });
    expect(doc.model["model-status"].current).toBe("available");
    expect(doc.controller.timestamp).toMatch(/^\d\d:\d\d:\d\dZ$/);
    expect(Object.keys(doc.machines)).toHaveLength(3);
    for (const m of Object.values(doc.machines) as Doc[]) {
      expect(m["agent-status"].current).toBe("started");
      expect(m["instance-id"]).toBeTruthy();
      expect(m["dns-name"]).toBe(m["ip-addresses"][0]);
      expect(m.base).toEqual({ name: "ubuntu", channel: "24.04" });
    }
    const wp = doc.applications.wordpress;
    expect(wp).toMatchObject({ charm: "wordpress", exposed: false, "application-status": { current: "active" } });
    expect(typeof wp["charm-rev"]).toBe("number");
    expect(wp.relations.db).toEqual([{ "related-application": "postgresql", interface: "pgsql", scope: "global" }]);
    expect(Object.keys(wp.units)).toEqual(["wordpress/0", "wordpress/1"]);
    expect(Object.values(wp.units).filter((u: any) => u.leader)).toHaveLength(1);
    expect(wp.units["wordpress/0"]).toHaveProperty("public-address");
    expect(wp.units["wordpress/0"]).toHaveProperty("machine");
    // YAML carries the same document.
    const yaml = parse((await ok(home, ["status", "--format", "yaml"])).stdout);
    expect(Object.keys(yaml)).toEqual(Object.keys(doc));
    expect(Object.keys(yaml.applications)).toEqual(Object.keys(doc.applications));
  }, 30_000);

  it("status (tabular) shows the model line without Notes and every section", async () => {
    const r = await ok(home, ["status"]);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^Model\s+Controller\s+Cloud\/Region\s+Version\s+Timestamp$/);
    expect(lines[1]).toMatch(/^migrate\s+src\s+localhost\/localhost\s+\S+\s+\d\d:\d\d:\d\dZ$/);
    expect(r.stdout).toMatch(/^App\s+Status\s+Scale\s+Charm\s+Rev\s+Exposed\s+Message$/m);
    expect(r.stdout).toMatch(/^wordpress\s+active\s+2\s+wordpress/m);
    // Live agents (bootstrap's default): each unit's workload's last report, "#<seq> <time>".
    expect(r.stdout).toMatch(/^Unit\s+Workload\s+Agent\s+Machine\s+Public address\s+Report\s+Message$/m);
    expect(r.stdout).toMatch(/^wordpress\/1\s+active\s+idle\s+\d+\s+\S+\s+#\d+ \d\d:\d\d:\d\dZ/m);
    expect(r.stdout).toMatch(/^Machine\s+State\s+Address\s+Inst id\s+Base\s+Message$/m);
    expect(r.stdout).toMatch(/^postgresql:db\s+wordpress:db\s+pgsql\s+regular$/m);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const coloured = await ok(home, ["status", "--color"]);
    expect(coloured.stdout).toMatch(/\u001b\[32mactive\u001b\[39m/);
  });

  it("status --watch re-renders plainly when stdout is not a terminal, until interrupted", async () => {
    const child = spawn(process.execPath, [FERRY, "status", "--watch", "200ms"], {
      env: { ...process.env, FERRY_HOME: home, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await eventually(
      async () => ((out.match(/^Model\s+Controller/gm) ?? []).length >= 3 ? true : undefined),
      10_000,
      "three renders",
    );
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(out).not.toMatch(/\u001b\[/); // no cursor tricks, no colour
    expect(out).toMatch(/\n\nModel\s+Controller/);
  }, 20_000);

  it("deploys a local charm archive (uploaded in chunks)", async () => {
    const dir = tempHome("ferry-charm-");
    const path = join(dir, "hello.charm");
    writeFileSync(
      path,
      buildCharmArchive({
        name: "hello",
        summary: "says hello",
        description: "a local test charm",
        endpoints: [],
        config: { greeting: { type: "string", default: "hi", description: "what to say" } },
      }),
    );
    expect((await ok(home, ["deploy", path, "greeter"])).stdout).toContain('Deployed "greeter" from charm "hello"');
    expect((await ok(home, ["config", "greeter", "greeting"])).stdout).toBe("hi\n");
    await ok(home, ["remove-unit", "greeter/0"]);
  }, 30_000);

  it("shows and changes application config", async () => {
    const all = parse((await ok(home, ["config", "wordpress"])).stdout);
    expect(all.application).toBe("wordpress");
    expect(all.settings["blog-title"]).toMatchObject({ source: "default", type: "string", value: "My Blog" });
    await ok(home, ["config", "wordpress", "blog-title=Ferry news", "max-upload-mb=16"]);
    expect((await ok(home, ["config", "wordpress", "blog-title"])).stdout).toBe("Ferry news\n");
    const after = JSON.parse((await ok(home, ["config", "wordpress", "--format", "json"])).stdout);
    expect(after.settings["max-upload-mb"]).toMatchObject({ value: 16, source: "user", type: "int" });
    const bad = await ferry(home, ["config", "wordpress", "max-upload-mb=lots"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^ERROR .*max-upload-mb/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    await ok(home, ["config", "wordpress", "--reset", "blog-title"]);
    expect((await ok(home, ["config", "wordpress", "blog-title"])).stdout).toBe("My Blog\n");
  });

  it("shows and changes model config", async () => {
    await ok(home, ["model-config", "logging-config=<root>=DEBUG", "team=ops"]);
    expect((await ok(home, ["model-config", "team"])).stdout).toBe("ops\n");
    const table = (await ok(home, ["model-config"])).stdout;
    expect(table).toMatch(/^Attribute\s+From\s+Value$/m);
    expect(table).toMatch(/^logging-config\s+user\s+<root>=DEBUG$/m);
    expect(table).toMatch(/^default-base\s+default\s+ubuntu@24\.04$/m);
    const doc = parse((await ok(home, ["model-config", "--format", "yaml"])).stdout);
    expect(doc.team).toEqual({ value: "ops", source: "user" });
    await ok(home, ["model-config", "--reset", "team"]);
    expect((await ferry(home, ["model-config", "team"])).stderr).toBe('ERROR key "team" not found in model config\n');
  });

  it("show-model, models and debug-log", async () => {
    const show = parse((await ok(home, ["show-model"])).stdout);
    expect(show.migrate).toMatchObject({
      name: "admin/migrate",
      "short-name": "migrate",
      owner: "admin",
      life: "alive",
      "controller-name": "src",
    });
    expect(show.migrate.status.current).toBe("available");
    expect(show.migrate.status.since).toMatch(/ago|just now/);
    const models = await ok(home, ["models"]);
    expect(models.stdout).toMatch(/^migrate\*\s+localhost\/localhost/m);
    const log = await ok(home, ["debug-log", "--replay", "--no-tail"]);
    expect(log.stdout.split("\n").filter(Boolean).length).toBeGreaterThan(0);
  });

  it("adds bob with a password from stdin and grants him read", async () => {
    expect((await ok(home, ["add-user", "bob"], { input: `${BOB_PW}\n` })).stdout).toContain('User "bob" added');
    expect((await ok(home, ["grant", "bob", "read", "migrate"])).stdout).toContain("read");
    const users = await ok(home, ["users", "--format", "json"]);
    const list = JSON.parse(users.stdout) as { "user-name": string; access: string; "date-created": string }[];
    expect(list.map((u) => u["user-name"])).toEqual(expect.arrayContaining(["admin", "bob"]));
    expect(list.find((u) => u["user-name"] === "bob")).toMatchObject({ access: "login" });
    expect(Number.isNaN(Date.parse(list[0]!["date-created"]))).toBe(false);
  });

  it("refuses to trust an unknown controller without --trust/--fingerprint, or with a wrong one", async () => {
    const noTrust = await ferry(home2, ["login", address, "-c", "src", "-u", "bob"], { input: `${BOB_PW}\n` });
    expect(noTrust.code).not.toBe(0);
    expect(noTrust.stderr).toContain(`CA fingerprint: ${fingerprint}`);
    expect(noTrust.stderr).toContain("ERROR refusing to trust an unknown controller without confirmation");
    const wrong = await ferry(home2, ["login", address, "-c", "src", "-u", "bob", "--fingerprint", "00".repeat(32)], {
      input: `${BOB_PW}\n`,
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("ERROR CA fingerprint mismatch");
    expect(existsSync(join(home2, "controllers.yaml"))).toBe(false);
  });

  it("rejects a wrong password without a stack trace", async () => {
    const r = await ferry(home2, ["login", address, "-c", "src", "-u", "bob", "--fingerprint", fingerprint], {
      input: "not-his-password\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ERROR /m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(home2, "accounts.yaml"))).toBe(false);
  });

  it("bob logs in from a second FERRY_HOME, reads the model, and may not deploy", async () => {
    const login = await ok(
      home2,
      ["login", address, "-c", "src", "-u", "bob", "--fingerprint", fingerprint.toLowerCase()],
      {
        input: `${BOB_PW}\n`,
      },
    );
    expect(login.stdout).toContain('You are now logged in to controller "src"');
    expect((await ok(home2, ["whoami"])).stdout).toMatch(/^User:\s+bob$/m);
    // The shared model resolves by its bare name through the refreshed cache.
    const doc = await statusJson(home2, ["-m", "src:migrate"]);
    expect(Object.keys(doc.applications)).toEqual(expect.arrayContaining(["postgresql", "wordpress"]));
    const denied = await ferry(home2, ["deploy", "ubuntu", "-m", "src:migrate"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/^ERROR .*(permission|denied|access)/i);
    expect(denied.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("logout forgets the token; the next call says how to log in", async () => {
    await ok(home2, ["logout"]);
    const r = await ferry(home2, ["status", "-m", "src:migrate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe("ERROR not logged in to controller \"src\"\nRun 'ferry login -c src' to log in.\n");
    // Logging in again needs no address: the controller is known.
    await ok(home2, ["login", "-c", "src"], { input: `${BOB_PW}\n` });
    await statusJson(home2, ["-m", "src:migrate"]);
  }, 30_000);

  it("an invalid or expired token gets ERROR with a hint to log in again", async () => {
    const path = join(home2, "accounts.yaml");
    const accounts = parse(readFileSync(path, "utf8"));
    accounts.controllers.src.token = "revoked-or-expired";
    writeFileSync(path, stringify(accounts), { mode: 0o600 });
    const r = await ferry(home2, ["status", "-m", "src:migrate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      'ERROR your session on controller "src" is no longer valid (logged out or revoked)\n' +
        "Run 'ferry login -c src' to log in again.\n",
    );
    await ok(home2, ["login", "-c", "src"], { input: `${BOB_PW}\n` });
  }, 30_000);

  it("removes a unit and a relation, and destroys a model", async () => {
    await ok(home, ["remove-unit", "wordpress/1"]);
    await ok(home, ["remove-relation", "wordpress", "postgresql"]);
    const doc = await eventually(
      async () => {
        const d = await statusJson();
        return d.applications.wordpress.units["wordpress/1"] ? undefined : d;
      },
      15_000,
      "wordpress/1 to go",
    );
    expect(doc.applications.wordpress.relations?.db).toBeUndefined();
    await ok(home, ["add-model", "scratch", "--no-switch"]);
    const refuse = await ferry(home, ["destroy-model", "scratch"]);
    expect(refuse.code).not.toBe(0);
    expect(refuse.stderr).toContain("Rerun with -y");
    await ok(home, ["destroy-model", "scratch", "-y"]);
  }, 30_000);

  it("keeps a generated admin password in the 0600 accounts file, not in piped output, and renews sessions with it", async () => {
    const h = tempHome();
    // Sessions of 20 s: within 30 s of expiry a token counts as expired, so
    // every command needs a new one.
    const r = await ok(h, ["bootstrap", "localhost", "gen", "--api-port", "0", "--agents", "none"], {
      env: { FERRY_TOKEN_TTL: "20" },
    });
    try {
      expect(r.stdout).not.toMatch(/Admin password: /);
      expect(r.stdout).toContain(`The admin password is kept in ${join(h, "accounts.yaml")} (mode 0600)`);
      expect(statSync(join(h, "accounts.yaml")).mode & 0o777).toBe(0o600);
      const kept = parse(readFileSync(join(h, "accounts.yaml"), "utf8")).controllers.gen;
      expect(kept.password).toMatch(/^\S{24}$/);
      const shown = JSON.parse((await ok(h, ["show-controller", "--show-password", "--format", "json"])).stdout).gen;
      expect(shown.account).toEqual({ user: "admin", access: "superuser", password: kept.password });
      expect(JSON.parse((await ok(h, ["show-controller", "--format", "json"])).stdout).gen.account.password).toBe(
        undefined,
      );

      // The expired session renews itself with the kept password: no prompt, no error.
      const before = parse(readFileSync(join(h, "accounts.yaml"), "utf8")).controllers.gen.token;
      expect((await ok(h, ["models"])).stderr).toBe("");
      const after = parse(readFileSync(join(h, "accounts.yaml"), "utf8")).controllers.gen;
      expect(after.token).not.toBe(before);
      expect(after.password).toBe(kept.password);
      // A token the controller revoked: the command logs in again and still answers.
      await ok(h, ["add-user", "carol"], { input: "carol-pass-1234\n" });
      const path = join(h, "accounts.yaml");
      const accounts = parse(readFileSync(path, "utf8"));
      accounts.controllers.gen.token = "revoked";
      // Not expired as far as the client knows: only the controller's refusal says so.
      accounts.controllers.gen["token-expiry"] = new Date(Date.now() + 3_600_000).toISOString();
      writeFileSync(path, stringify(accounts), { mode: 0o600 });
      expect((await ok(h, ["users", "--format", "json"])).stdout).toContain('"carol"');

      // Logging out forgets the password too; logging in with it works.
      await ok(h, ["logout"]);
      expect(parse(readFileSync(path, "utf8")).controllers.gen.password).toBeUndefined();
      expect((await ok(h, ["login", "-c", "gen", "-u", "admin"], { input: `${kept.password}\n` })).stdout).toContain(
        "logged in",
      );
      // A user who logged in (no kept password) gets one message and one hint, in a script,
      // once the controller says the session expired.
      const db = new Database(join(h, "controllers", "gen", "ferry.db"));
      try {
        db.prepare("UPDATE tokens SET expires_at = 1 WHERE kind = 'user'").run();
      } finally {
        db.close();
      }
      const refused = await ferry(h, ["models"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        "ERROR your session on controller \"gen\" has expired\nRun 'ferry login -c gen' to log in again.\n",
      );
    } finally {
      await ok(h, ["kill-controller", "gen", "-y"]);
    }
  }, 90_000);

  it("kill-controller stops the daemon, deletes its data and forgets it", async () => {
    const r = await ok(home, ["kill-controller", "src", "-y"]);
    killed = true;
    expect(r.stdout).toContain('Controller "src" destroyed.');
    expect(existsSync(dataDir)).toBe(false);
    // Dead (or a zombie waiting for a PID 1 that reaps slowly).
    expect(alive(pid)).toBe(false);
    expect((await ok(home, ["controllers", "--format", "json"])).stdout.trim()).toBe('{"controllers":{}}');
    // Bob's client still knows the controller, which is gone.
    const gone = await ferry(home2, ["status", "-m", "src:migrate"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/^ERROR cannot connect to controller "src": .*ECONNREFUSED/);
  }, 60_000);
});
