// Reading secrets and confirmations: from the terminal without echo, or from
// the first line of stdin when stdin is not a terminal (scripts, tests). Never
// from a flag, which would show in `ps` and shell history.
import { CliError } from "./errors.js";

let stdinLine: Promise<string> | undefined;

/**
 * The first line of stdin (without its line ending). Stops reading at the first
 * newline so an open pipe with nothing more to say cannot hang us. Memoised:
 * stdin can only be consumed once.
 */
export function firstStdinLine(): Promise<string> {
  stdinLine ??= new Promise<string>((resolve, reject) => {
    const stdin = process.stdin;
    let buf = "";
    const done = (line: string) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      stdin.pause();
      stdin.destroy();
      resolve(line.replace(/\r$/, ""));
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf);
    const onError = (err: Error) => reject(err);
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.once("error", onError);
    stdin.resume();
  });
  return stdinLine;
}

export function stdinIsTTY(): boolean {
  return Boolean(process.stdin.isTTY);
}

/** Read a line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    const finish = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.off("data", onData);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") {
          process.exitCode = 130;
          return finish(new CliError("cancelled"));
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

/**
 * A password: prompted for on a terminal (twice when `confirm`), otherwise the
 * first line of stdin. Empty is refused unless `allowEmpty`.
 */
export async function readPassword(
  prompt: string,
  opts: { confirm?: boolean; allowEmpty?: boolean } = {},
): Promise<string> {
  let password: string;
  if (stdinIsTTY()) {
    password = await readHidden(prompt);
    if (opts.confirm) {
      const again = await readHidden("type it again: ");
      if (again !== password) throw new CliError("passwords do not match");
    }
  } else {
    password = await firstStdinLine();
  }
  if (!password && !opts.allowEmpty) {
    throw new CliError(stdinIsTTY() ? "no password given" : "no password given: write it as the first line of stdin");
  }
  return password;
}

/**
 * One line from the terminal. Ctrl-C (or Ctrl-D) at the prompt is the user
 * saying no: a plain "cancelled" error, exit status 130, never a stack trace
 * or "unexpected error".
 */
async function question(text: string): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const cancelled = new Promise<never>((_, reject) => {
    const cancel = () => {
      process.stderr.write("\n");
      process.exitCode = 130;
      reject(new CliError("cancelled"));
    };
    rl.once("SIGINT", cancel);
    rl.once("close", cancel);
  });
  cancelled.catch(() => undefined);
  try {
    return await Promise.race([rl.question(text), cancelled]);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as { code?: string }).code === "ABORT_ERR") throw new CliError("cancelled");
    throw err;
  } finally {
    rl.removeAllListeners("close");
    rl.close();
  }
}

/** Ask a yes/no question on the terminal; false when stdin is not a terminal. */
export async function confirm(prompt: string): Promise<boolean> {
  if (!stdinIsTTY()) return false;
  const answer = await question(`${prompt} (y/N): `);
  return /^y(es)?$/i.test(answer.trim());
}

/** Ask for a line of text on the terminal (e.g. a user name). */
export async function ask(prompt: string): Promise<string> {
  return (await question(prompt)).trim();
}
