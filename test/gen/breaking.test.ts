// The compatibility gate CI runs (scripts/check-breaking.sh) passes on the
// checkout and catches an incompatible change made in any commit of a
// multi-commit change, not only in the last one. Runs in a throwaway clone.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "../helpers/ferryd.js";

let work: string;
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: work,
    encoding: "utf8",
  });
const gate = () => spawnSync("bash", [join(work, "scripts", "check-breaking.sh")], { cwd: work, encoding: "utf8" });

beforeAll(() => {
  work = join(mkdtempSync(join(tmpdir(), "ferry-breaking-")), "c");
  execFileSync("git", ["clone", "--quiet", ROOT, work]);
  symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"));
  // The working tree's gate and contract, not the committed ones, so the test
  // checks what is being changed.
  writeFileSync(join(work, "scripts", "check-breaking.sh"), readFileSync(join(ROOT, "scripts", "check-breaking.sh")));
  rmSync(join(work, "proto"), { recursive: true });
  cpSync(join(ROOT, "proto"), join(work, "proto"), { recursive: true });
  git("add", "-A", "proto", "scripts");
  git("commit", "--quiet", "--allow-empty", "-m", "gate and contract under test");
}, 60_000);
afterAll(() => rmSync(join(work, ".."), { recursive: true, force: true }));

it("passes on the contract as it is", () => {
  const r = gate();
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/compatible with \d+ earlier version/);
}, 60_000);

it("fails when an earlier commit of the change renamed a landed field, even if later commits did not touch proto/", () => {
  const file = join(work, "proto", "ferry", "v1", "errors.proto");
  writeFileSync(file, readFileSync(file, "utf8").replace("string ca_fingerprint = 8;", "string ca_sha256 = 8;"));
  git("commit", "--quiet", "-am", "rename a field");
  writeFileSync(join(work, "NOTES"), "unrelated\n");
  git("add", "NOTES");
  git("commit", "--quiet", "-m", "an unrelated commit on top");
  const r = gate();
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toContain('changed name from "ca_fingerprint" to "ca_sha256"');
}, 60_000);
