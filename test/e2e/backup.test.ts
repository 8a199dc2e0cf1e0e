// End to end: `ferry create-backup` of a running controller with models, and
// `ferry restore-backup` of it into a fresh data dir on another port from a
// second FERRY_HOME: same UUID, same CA, same models with the same status.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildOnce, eventually, FERRYD, ferry, ok, tempHome } from "./harness.js";

const ADMIN_PW = "admin-pass-1234";
const BOB_PW = "bob-pass-5678";
const env = { FERRY_ADMIN_PASSWORD: ADMIN_PW };

let home: string; // the admin who backs up
let bobHome: string; // a non-superuser
let restoreHome: string; // where the backup is restored, as after losing the first machine
let work: string; // backup files
let archive = "";
const killed = new Set<string>();

type Doc = Record<string, any>;

function controllers(h: string): Doc {
  return parse(readFileSync(join(h, "controllers.yaml"), "utf8")).controllers;
}

/**
 * The model's status document without its units' workload reports: the live
 * agents' workloads keep reporting (the migration must not stop them), so
 * their last report is not model content to compare.
 */
async function statusJson(h: string, model: string): Promise<Doc> {
  const doc = JSON.parse((await ok(h, ["status", "-m", model, "--format", "json"])).stdout) as Doc;
  for (const a of Object.values(doc.applications ?? {}) as Doc[])
    for (const u of Object.values(a.units ?? {}) as Doc[]) delete u["workload-report"];
  return doc;
}

beforeAll(async () => {
  buildOnce();
  [home, bobHome, restoreHome, work] = [tempHome(), tempHome(), tempHome(), tempHome("ferry-backups-")];
  await ok(home, ["bootstrap", "localhost", "src", "--api-port", "0"], { env });
  await ok(home, ["add-model", "web"]);
  await ok(home, ["deploy", "postgresql"]);
  await ok(home, ["deploy", "wordpress", "-n", "2"]);
  await ok(home, ["integrate", "wordpress", "postgresql"]);
  await ok(home, ["config", "wordpress", "blog-title=Backed up"]);
  await ok(home, ["add-model", "second", "--no-switch"]);
  await ok(home, ["add-user", "bob"], { input: `${BOB_PW}\n` });
  await ok(home, ["grant", "bob", "read", "web"]);
  await eventually(
    async () => {
      const d = await statusJson(home, "src:web");
      const units = Object.values(d.applications).flatMap((a: any) => Object.values(a.units ?? {})) as Doc[];
      return units.length === 3 && units.every((u) => u["agent-status"].current === "idle") ? true : undefined;
    },
    30_000,
    "units to settle",
  );
}, 120_000);

afterAll(async () => {
  if (!killed.has("restored") && restoreHome) await ferry(restoreHome, ["kill-controller", "restored", "-y"]);
  if (home) await ferry(home, ["kill-controller", "src", "-y"]);
  for (const h of [home, bobHome, restoreHome, work]) if (h) rmSync(h, { recursive: true, force: true });
}, 60_000);

describe("backups end to end", () => {
  it("create-backup writes a 0600 archive and prints its name, size and SHA-256", async () => {
    archive = join(work, "src.tar");
    const r = await ok(home, ["create-backup", "-o", archive]);
    const bytes = readFileSync(archive);
    const sha = createHash("sha256").update(bytes).digest("hex");
    expect(r.stdout).toBe(
      `Backup of controller "src" saved to ${archive}\n` +
        `Size: ${(bytes.length / 1024).toFixed(1)} KiB (${bytes.length} bytes)\n` +
        `SHA-256: ${sha}\n`,
    );
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${archive}.sha256`, "utf8")).toBe(`${sha}  src.tar\n`);
    expect(execFileSync("sha256sum", ["-c", "src.tar.sha256"], { cwd: work, encoding: "utf8" })).toBe("src.tar: OK\n");
    const names = execFileSync("tar", ["tf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual(expect.arrayContaining(["ferry-backup.json", "ferry.db", "ca.pem", "ca.key"]));
    // Never overwrites.
    const again = await ferry(home, ["create-backup", "-o", archive]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe(`ERROR ${archive} already exists\nChoose another file with -o <file>.\n`);
  }, 30_000);

  it("is refused to a user who is not a superuser", async () => {
    const src = controllers(home).src;
    await ok(bobHome, ["login", src["api-endpoints"][0], "-c", "src", "-u", "bob", "--trust"], {
      input: `${BOB_PW}\n`,
    });
    const r = await ferry(bobHome, ["create-backup", "-c", "src", "-o", join(work, "bob.tar")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ERROR permission denied: superuser access required\n$/m);
    expect(existsSync(join(work, "bob.tar"))).toBe(false);
    expect(existsSync(join(work, "bob.tar.part"))).toBe(false);
  }, 30_000);

  it("refuses a corrupted backup with a clear message and changes nothing", async () => {
    const bad = join(work, "bad.tar");
    const bytes = readFileSync(archive);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(bad, bytes);
    copyFileSync(`${archive}.sha256`, `${bad}.sha256`);
    const r = await ferry(restoreHome, ["restore-backup", bad, "--api-port", "0"], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ERROR cannot restore from ${bad}: SHA-256 mismatch: ${bad}\\.sha256 says [0-9a-f]{64}, the file has [0-9a-f]{64}\nNothing was changed\\. Use another backup\\.\n$`,
      ),
    );
    rmSync(`${bad}.sha256`);
    const r2 = await ferry(restoreHome, ["restore-backup", bad, "--api-port", "0"], { env });
    expect(r2.stderr).toMatch(/^ERROR cannot restore from .*: \S+ does not match its SHA-256 in the manifest\n/);
    expect(existsSync(join(restoreHome, "controllers.yaml"))).toBe(false);
    expect(existsSync(join(restoreHome, "controllers"))).toBe(false);
  }, 30_000);

  it("ferryd --restore-from refuses a data dir that is not empty", () => {
    const dir = join(work, "not-empty");
    mkdirSync(dir);
    writeFileSync(join(dir, "ferry.db"), "");
    let stderr = "";
    try {
      execFileSync(
        process.execPath,
        [FERRYD, "--restore-from", archive, "--data-dir", dir, "--listen", "127.0.0.1:0"],
        {
          stdio: "pipe",
        },
      );
    } catch (e) {
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain(
      `ferryd: cannot restore from backup ${archive}: refusing to restore into ${dir}: it is not empty`,
    );
  });

  it("does not give the same controller a second name in one client store", async () => {
    const r = await ferry(home, ["restore-backup", archive, "-c", "copy", "--api-port", "0"], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ERROR this is a backup of controller "src" in the client store\n/m);
    const running = await ferry(home, ["restore-backup", archive, "--api-port", "0"], { env });
    expect(running.stderr).toMatch(/^ERROR controller "src" is still running \(pid \d+\)\n/m);
  }, 30_000);

  it("restores into a fresh data dir on another port: same UUID, CA and models", async () => {
    const r = await ok(restoreHome, ["restore-backup", archive, "-c", "restored", "--api-port", "0"], { env });
    expect(r.stdout).toMatch(/^Controller "restored" restored from .*src\.tar, now available at 127\.0\.0\.1:\d+\.$/m);
    const src = controllers(home).src;
    const restored = controllers(restoreHome).restored;
    expect(restored.uuid).toBe(src.uuid);
    expect(restored["ca-fingerprint"]).toBe(src["ca-fingerprint"]);
    expect(restored["ca-cert"]).toBe(src["ca-cert"]);
    expect(restored["api-endpoints"][0]).not.toBe(src["api-endpoints"][0]);
    expect(restored["data-dir"]).toBe(join(restoreHome, "controllers", "restored"));

    const models = JSON.parse((await ok(restoreHome, ["models", "--format", "json"])).stdout);
    expect(models.models.map((m: Doc) => m.name).sort()).toEqual(["admin/controller", "admin/second", "admin/web"]);

    const before = await statusJson(home, "src:web");
    const after = await statusJson(restoreHome, "restored:web");
    for (const key of ["machines", "applications"]) expect(after[key]).toEqual(before[key]);
    const { controller: _c1, ...modelBefore } = before.model;
    const { controller: _c2, ...modelAfter } = after.model;
    expect(modelAfter).toEqual(modelBefore);
    expect((await ok(restoreHome, ["config", "wordpress", "blog-title", "-m", "restored:web"])).stdout).toBe(
      "Backed up\n",
    );
  }, 60_000);

  it("the restored controller keeps its users and works", async () => {
    const r = await ferry(restoreHome, ["add-model", "fresh", "-c", "restored"]);
    expect(r.code).toBe(0);
    // bob's password came along in the backup; his client already trusts the CA.
    const rec = controllers(restoreHome).restored;
    const bob2 = tempHome();
    try {
      await ok(
        bob2,
        ["login", rec["api-endpoints"][0], "-c", "r", "-u", "bob", "--fingerprint", rec["ca-fingerprint"]],
        {
          input: `${BOB_PW}\n`,
        },
      );
      expect((await statusJson(bob2, "r:admin/web")).applications.wordpress).toBeTruthy();
    } finally {
      rmSync(bob2, { recursive: true, force: true });
    }
    await ok(restoreHome, ["kill-controller", "restored", "-y"]);
    killed.add("restored");
  }, 60_000);
});
