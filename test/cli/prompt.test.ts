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

describe("Ctrl-C at a prompt on a terminal", () => {
  // A real pseudo-terminal (Python's pty module), so stdin.isTTY is true.
  const ask = `
    import { confirm } from ${JSON.stringify(join(process.cwd(), "src/cli/prompt.ts"))};
    try { process.stdout.write("ANSWER " + (await confirm("Go on?")) + "\\n"); }
    catch (e) { process.stdout.write("ERR " + e.constructor.name + " " + e.message + " " + process.exitCode + "\\n"); }
  `;
  const askFile = join(mkdtempSync(join(tmpdir(), "ferry-prompt-")), "ask.mts");
  writeFileSync(askFile, ask);
  const driver = `
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2]])
out = b""
deadline = time.time() + 20
sent = False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b"(y/N)" in out:
        os.write(fd, b"\\x03")
        sent = True
    if b"ERR " in out or b"ANSWER " in out:
        time.sleep(0.2)
        try:
            out += os.read(fd, 4096)
        except OSError:
            pass
        break
sys.stdout.write(out.decode("utf8", "replace"))
`;

  it("is a plain 'cancelled' with exit status 130, not an unexpected error", async () => {
    const python = process.env.PYTHON || "python3";
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, ["-c", driver, tsx, askFile], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (d) => (text += d));
      child.on("error", reject);
      child.on("exit", () => resolve(text));
    });
    expect(out).toContain("Go on? (y/N): ");
    expect(out).toMatch(/ERR CliError cancelled 130/);
  }, 30_000);
});
