// Issue 12 item 1: upgrading a controller by migrating its models to a newer
// one, proven against a real older build. The pinned older release
// (test/upgrade/PIN, built from this repository's history) is bootstrapped
// with its own CLI as the source, with an older version; its model is filled
// with its own CLI (machines, applications, units, a relation, config, a user
// with access, a local charm); this build's CLI migrates it to this build's
// controller. The model must arrive whole and the old controller redirect.
// The other way, this build to the old one, is refused by the version
// precheck. When the model description format changes, this is the test that
// keeps old controllers upgradeable.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCharmArchive } from "../../src/domain/charms.js";
import { FERRY_VERSION } from "../../src/version.js";
import { buildOnce, eventually, ferry, ok, settled, stripLive, tempHome, type Result } from "../e2e/harness.js";
import { buildOld, type OldBuild } from "./old-build.js";

const PW = { env: { FERRY_ADMIN_PASSWORD: "admin-pass-1234" } };
const OLD_VERSION = "0.9.0";
let old: OldBuild;
let home: string;
type Doc = Record<string, any>;

const oldCli = (args: string[], opts: Parameters<typeof ok>[2] = {}) => ok(home, args, { ...opts, cli: old.cli });

/** Status without the live agents' workload reports (they keep reporting across the move). */
async function statusOf(cli: string | undefined, model: string): Promise<Doc> {
  return stripLive(JSON.parse((await ok(home, ["status", "-m", model, "--format", "json"], { cli })).stdout) as Doc);
}
const essence = (d: Doc) => ({ machines: d.machines, applications: d.applications, relations: d.relations });

let before: Doc;

beforeAll(async () => {
  buildOnce();
  old = buildOld();
  console.log(
    `upgrade test: older release ${old.commit.slice(0, 12)} ${old.builtInS ? `built in ${old.builtInS} s` : "from cache"}`,
  );
  home = tempHome("ferry-upgrade-");
  await oldCli(["bootstrap", "localhost", "old", "--api-port", "0", "--agent-version", OLD_VERSION], PW);
  await ok(home, ["bootstrap", "localhost", "new", "--api-port", "0"], PW);
  await ok(home, ["add-user", "bob", "-c", "new"], { input: "bob-pass-5678\n" });

  // The model, built with the old release's own CLI.
  await oldCli(["switch", "old"]);
  await oldCli(["add-user", "bob", "-c", "old"], { input: "bob-pass-5678\n" });
  await oldCli(["add-model", "web"]);
  await oldCli(["add-machine", "-n", "2"]);
  await oldCli(["deploy", "postgresql"]);
  await oldCli(["deploy", "wordpress", "-n", "2"]);
  await oldCli(["integrate", "wordpress", "postgresql"]);
  await oldCli(["config", "wordpress", "blog-title=Upgraded"]);
  await oldCli(["model-config", "team=ops"]);
  await oldCli(["grant", "bob", "read", "web"]);
  const charm = join(home, "hello.charm");
  writeFileSync(
    charm,
    buildCharmArchive({
      name: "hello",
      summary: "says hello",
      description: "a local charm that must survive the upgrade",
      endpoints: [],
      config: { greeting: { type: "string", default: "hi", description: "what to say" } },
    }),
  );
  await oldCli(["deploy", charm, "greeter"]);
  await oldCli(["config", "greeter", "greeting=hello from the old release"]);
  before = await eventually(
    async () => {
      const d = await statusOf(old.cli, "old:web");
      return settled(d) ? d : undefined;
    },
    60_000,
    "the old controller's units to settle",
  );
}, 300_000);

afterAll(async () => {
  if (home) {
    await ferry(home, ["kill-controller", "old", "-y"]);
    await ferry(home, ["kill-controller", "new", "-y"]);
    rmSync(home, { recursive: true, force: true });
  }
}, 120_000);

describe(`upgrade by migration from the pinned older release`, () => {
  it("runs an older version, as the controllers themselves report", async () => {
    expect(parse((await ok(home, ["show-controller", "old"])).stdout).old.version).toBe(OLD_VERSION);
    expect(parse((await ok(home, ["show-controller", "new"])).stdout).new.version).toBe(FERRY_VERSION);
  });

  it("moves the model to this build whole, and the old controller redirects", async () => {
    const r = await ok(home, ["migrate", "old:web", "new", "--wait"], { timeoutMs: 180_000 });
    expect(r.stdout).toMatch(/Migration ".+:0" completed: model "web" is now on controller "new"\./);

    const after = await statusOf(undefined, "new:web");
    expect(after.model["model-status"].current).toBe("available");
    expect(essence(after)).toEqual(essence(before));
    expect((await ok(home, ["config", "wordpress", "blog-title", "-m", "new:web"])).stdout).toBe("Upgraded\n");
    expect((await ok(home, ["config", "greeter", "greeting", "-m", "new:web"])).stdout).toBe(
      "hello from the old release\n",
    );
    expect((await ok(home, ["model-config", "team", "-m", "new:web"])).stdout).toBe("ops\n");
    const show = parse((await ok(home, ["show-model", "new:web"])).stdout).web;
    expect(Object.keys(show.users).sort()).toEqual(["admin", "bob"]);
    // The local charm's archive came too: a new unit of it deploys on the new controller.
    await ok(home, ["add-unit", "greeter", "-m", "new:web"]);

    // Both CLIs get the redirect from the old controller.
    for (const cli of [undefined, old.cli]) {
      const stale: Result = await ferry(home, ["status", "-m", "old:web"], { cli });
      expect(stale.code).not.toBe(0);
      expect(stale.stderr).toBe(
        'ERROR Model "web" has been migrated to controller "new".\n' + "To access it run 'ferry switch new:web'.\n",
      );
    }
  }, 240_000);

  it("refuses the other way (this build to the older one) in the version precheck", async () => {
    await ok(home, ["add-model", "back", "-c", "new"]);
    const r = await ferry(home, ["migrate", "new:back", "old"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`destination controller version ${OLD_VERSION} is older than source ${FERRY_VERSION}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Nothing moved.
    expect(parse((await ok(home, ["show-model", "new:back"])).stdout).back.status.current).toBe("available");
  }, 60_000);
});
