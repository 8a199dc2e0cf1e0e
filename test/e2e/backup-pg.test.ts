// Backups of a controller on PostgreSQL: `ferry create-backup` yields one
// verified archive (a logical dump of the store in one snapshot, with the CA
// and its key inside it), which `ferry restore-backup --store` (ferryd
// --restore-from) loads into an empty database: same UUID, same CA, the
// models with their units, users and passwords. A database that holds a
// controller already, or a backup of the other engine, is refused.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createDatabase, postgresAvailable } from "../helpers/postgres.js";
import { buildOnce, eventually, ferry, ok, tempHome } from "./harness.js";

const ADMIN_PW = "admin-pass-pg-1234";
const env = { FERRY_ADMIN_PASSWORD: ADMIN_PW };
type Doc = Record<string, any>;

describe.runIf(postgresAvailable())("backups of a controller on PostgreSQL", () => {
  const home = tempHome("ferry-pgb-");
  const restoreHome = tempHome("ferry-pgb-restore-");
  const work = tempHome("ferry-pgb-files-");
  let source: string;
  let target: string;
  let archive = "";
  let before: Doc;

  const status = async (h: string, m: string): Promise<Doc> =>
    JSON.parse((await ok(h, ["status", "-m", m, "--format", "json"])).stdout);

  beforeAll(async () => {
    buildOnce();
    source = (await createDatabase("ferry_pgb_src")).url;
    target = (await createDatabase("ferry_pgb_dst")).url;
    await ok(home, ["bootstrap", "localhost", "pgc", "--api-port", "0", "--store", source], { env });
    await ok(home, ["add-model", "web"]);
    await ok(home, ["deploy", "postgresql", "-n", "2"]);
    await ok(home, ["config", "postgresql", "port=6543"]);
    await ok(home, ["add-user", "bob"], { input: "bob-pass-5678\n" });
    await ok(home, ["grant", "bob", "read", "web"]);
    before = await eventually(
      async () => {
        const d = await status(home, "pgc:web");
        const units = Object.values(d.applications.postgresql.units ?? {}) as Doc[];
        return units.length === 2 && units.every((u) => u["agent-status"].current === "idle") ? d : undefined;
      },
      30_000,
      "units to settle",
    );
  }, 120_000);

  afterAll(async () => {
    await ferry(restoreHome, ["kill-controller", "pgc", "-y"]);
    await ferry(home, ["kill-controller", "pgc", "-y"]);
    for (const h of [home, restoreHome, work]) rmSync(h, { recursive: true, force: true });
  }, 60_000);

  it("create-backup writes one verified archive: the store's dump and the public CA, 0600", async () => {
    archive = join(work, "pgc.tar");
    const r = await ok(home, ["create-backup", "-o", archive]);
    expect(r.stdout).toMatch(/SHA-256: [0-9a-f]{64}/);
    // The hint names what a PostgreSQL backup needs to come back: an empty database.
    expect(r.stderr).toContain(`Restore with 'ferry restore-backup ${archive} --store postgres://`);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const names = execFileSync("tar", ["tf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(names.sort()).toEqual(["ca.pem", "ferry-backup.json", "ferry-store.ndjson"]);
    const manifest = JSON.parse(execFileSync("tar", ["xOf", archive, "ferry-backup.json"], { encoding: "utf8" }));
    expect(manifest.store).toEqual({ engine: "postgres", file: "ferry-store.ndjson" });
    expect(manifest.modelCount).toBe(2);
    // The dump holds the CA key (so the archive is a secret), not in any data dir.
    const dump = execFileSync("tar", ["xOf", archive, "ferry-store.ndjson"], { encoding: "utf8" });
    expect(dump).toContain("PRIVATE KEY");
    expect(dump).not.toMatch(/controller_nodes|"leases"/);
  });

  it("refuses a database that already holds a controller, and the other engine", async () => {
    const busy = await ferry(restoreHome, ["restore-backup", archive, "--api-port", "0", "--store", source], { env });
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/already holds a controller: restore into an empty database/);
    const noStore = await ferry(restoreHome, ["restore-backup", archive, "--api-port", "0"], { env });
    expect(noStore.code).not.toBe(0);
    expect(noStore.stderr).toMatch(/holds a PostgreSQL store/);
    // Nothing was left behind by the refusals.
    expect(await ferry(restoreHome, ["controllers", "--format", "json"]).then((x) => x.stdout.trim())).toBe(
      '{"controllers":{}}',
    );
  });

  it("restores into an empty database: same UUID and CA, the models, users and passwords", async () => {
    await ok(restoreHome, ["restore-backup", archive, "--api-port", "0", "--store", target], { env });
    const a = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.pgc;
    const b = parse(readFileSync(join(restoreHome, "controllers.yaml"), "utf8")).controllers.pgc;
    expect(b.uuid).toBe(a.uuid);
    expect(b["ca-fingerprint"]).toBe(a["ca-fingerprint"]);
    expect(b.store).toMatch(/ferry_pgb_dst/);
    expect((await ok(restoreHome, ["models", "--format", "json"])).stdout).toContain("web");
    const after = await status(restoreHome, "pgc:web");
    expect(Object.keys(after.applications.postgresql.units).sort()).toEqual(
      Object.keys(before.applications.postgresql.units).sort(),
    );
    expect(after.machines).toEqual(before.machines);
    const cfg = (await ok(restoreHome, ["config", "-m", "web", "postgresql", "port"])).stdout.trim();
    expect(cfg).toBe("6543");
    // bob's password came along too.
    const bob = tempHome("ferry-pgb-bob-");
    const addr = b["api-endpoints"][0];
    await ok(bob, ["login", addr, "-c", "r", "-u", "bob", "--trust"], { input: "bob-pass-5678\n" });
    expect((await ok(bob, ["models"])).stdout).toContain("web");
    rmSync(bob, { recursive: true, force: true });
    // The restored controller keeps writing new rows after the restored ones.
    await ok(restoreHome, ["add-unit", "-m", "web", "postgresql"]);
    await eventually(async () => {
      const d = await status(restoreHome, "pgc:web");
      return Object.keys(d.applications.postgresql.units).length === 3 || undefined;
    });
    expect((await ok(restoreHome, ["debug-log", "-m", "web", "-n", "5", "--no-tail"])).code).toBe(0);
  }, 90_000);
});
