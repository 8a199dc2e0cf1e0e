import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const tsx = join(process.cwd(), "node_modules/.bin/tsx");
const script = `
  import { firstStdinLine, readPassword } from ${JSON.stringify(join(process.cwd(), "src/cli/prompt.ts"))};
  const mode = process.argv[2];
  try {
    const v = mode === "line" ? await firstStdinLine() : await readPassword("pw: ");
    process.stdout.write(JSON.stringify(v));
  } catch (e) { process.stdout.write("ERR " + e.message); }
`;

const scriptFile = join(mkdtempSync(join(tmpdir(), "ferry-prompt-")), "read.mts");
writeFileSync(scriptFile, script);

function runWithStdin(mode: string, input: string, close: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [scriptFile, mode], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", () => resolve(out));
    child.stdin.write(input);
    if (close) child.stdin.end();
    // When not closed, the child must still finish after the first line.
    setTimeout(() => child.stdin.destroy(), 10_000).unref();
  });
}

describe("reading secrets from stdin", () => {
  it("takes the first line and does not wait for the pipe to close", async () => {
    expect(await runWithStdin("line", "s3cret pass\r\nsecond line\n", false)).toBe('"s3cret pass"');
  }, 15_000);

  it("takes everything when there is no newline before EOF", async () => {
    expect(await runWithStdin("line", "no-newline", true)).toBe('"no-newline"');
  }, 15_000);

  it("refuses an empty password from stdin", async () => {
    expect(await runWithStdin("password", "\n", true)).toMatch(/^ERR no password given/);
  }, 15_000);
});
