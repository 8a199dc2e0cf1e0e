// The README's paste-in-order sections, run as written: each ```sh block of
// "Walkthrough" and "Migrating a model" goes to bash line by line, with
// `ferry` on the PATH and a private TMPDIR (so `mktemp -d` lands where the
// test cleans up). A line that fails stops the block and fails the test with
// the line and its output; a line whose comment is `# ERROR <text>` must fail
// and print that text. Afterwards no controller or agent process may be left.
// The other sections' blocks are not run: they need placeholders filled in
// (pids, a password, a listen address) or a PostgreSQL server of your own.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnce, FERRY, FERRYD, ROOT } from "./harness.js";

const RUN = ["Walkthrough: bootstrap, add a model, deploy, status", "Migrating a model"];

/** The ```sh blocks of the README section titled `title`. */
export function shellBlocks(readme: string, title: string): string[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A bash script that runs the block's lines in order and checks each one. */
export function checkedScript(block: string): string {
  const out = ["set -u"];
  for (const raw of block.split("\n")) {
    if (!raw.trim() || raw.trim().startsWith("#")) continue;
    const m = /^(.*?)\s+#\s(.*)$/.exec(raw);
    const cmd = (m ? m[1]! : raw).trim();
    const comment = m?.[2] ?? "";
    out.push(`echo "+ "${shq(cmd)}`);
    const expected = /^ERROR (.*?)(?:\s*\.\.\.)?$/.exec(comment)?.[1];
    if (expected) {
      out.push(
        `__out=$( { ${cmd} ; } 2>&1 ); __rc=$?; printf '%s\\n' "$__out"`,
        `if [ $__rc -eq 0 ]; then echo "README line should have failed: "${shq(cmd)} >&2; exit 90; fi`,
        `case "$__out" in *${shq(`ERROR ${expected}`)}*) ;; *) echo "README line did not print: "${shq(`ERROR ${expected}`)} >&2; exit 91;; esac`,
      );
    } else {
      out.push(`{ ${cmd} ; } || { __rc=$?; echo "README line failed ($__rc): "${shq(cmd)} >&2; exit 92; }`);
    }
  }
  return out.join("\n") + "\n";
}

function processesUnder(dir: string): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps.split("\n").filter((l) => l.includes(dir) && /ferry(d|-agent)?\.js/.test(l));
}

let work: string;
let bin: string;

beforeAll(() => {
  buildOnce();
  work = mkdtempSync(join(tmpdir(), "ferry-readme-"));
  bin = join(work, "bin");
  execFileSync("mkdir", ["-p", bin, join(work, "tmp")]);
  // `ferry` and `ferryd` as `npm link` would give them.
  for (const [name, target] of [
    ["ferry", FERRY],
    ["ferryd", FERRYD],
  ] as const) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(target)} "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
});

afterAll(() => {
  for (const line of processesUnder(work)) {
    const pid = Number(line.trim().split(/\s+/)[0]);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

function runBlock(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn("bash", ["-c", script], {
      cwd: ROOT,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: process.env.HOME ?? work,
        TMPDIR: join(work, "tmp"),
        LANG: "C.UTF-8",
        TERM: "dumb",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

describe("the README, pasted", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");

  it("has the sections this test runs", () => {
    for (const title of RUN) expect(shellBlocks(readme, title).length, title).toBeGreaterThan(0);
  });

  it("checks each line: a failing line stops the block, an ERROR line must fail with its text", async () => {
    const bad = await runBlock(checkedScript("true\nfalse\necho never\n"));
    expect(bad.code).toBe(92);
    expect(bad.out).toContain("README line failed (1): false");
    expect(bad.out).not.toContain("never");
    const quiet = await runBlock(checkedScript("echo fine   # ERROR Model gone ...\n"));
    expect(quiet.code).toBe(90);
    const said = await runBlock(
      checkedScript('sh -c "echo ERROR Model gone. Try; exit 1"   # ERROR Model gone. ...\n'),
    );
    expect(said.code).toBe(0);
  });

  for (const title of RUN) {
    it(`"${title}" works line by line and leaves no process behind`, async () => {
      for (const block of shellBlocks(readme, title)) {
        const r = await runBlock(checkedScript(block));
        expect(r.code, r.out).toBe(0);
      }
      expect(processesUnder(work)).toEqual([]);
    }, 240_000);
  }
});
