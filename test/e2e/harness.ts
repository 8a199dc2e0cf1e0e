// Runs the compiled CLI (dist/src/bin/ferry.js) as a real process, with its
// own FERRY_HOME, the way a user or a script would.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FERRY = join(ROOT, "dist", "src", "bin", "ferry.js");
export const FERRYD = join(ROOT, "dist", "src", "bin", "ferryd.js");

/** Newest modification time of any .ts file under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

function distIsStale(): boolean {
  if (!existsSync(FERRY) || !existsSync(FERRYD)) return true;
  const built = Math.min(statSync(FERRY).mtimeMs, statSync(FERRYD).mtimeMs);
  return Math.max(newestSource(join(ROOT, "src")), newestSource(join(ROOT, "gen"))) > built;
}

/**
 * Compile with the build config when dist/ is older than the sources, so the
 * CLI under test is the current code (`npm test` has usually just built it;
 * FERRY_E2E_NO_BUILD=1 skips this). Type errors elsewhere in the tree do not
 * stop tsc from emitting, so only missing output fails.
 */
export function buildOnce(): void {
  if (!process.env.FERRY_E2E_NO_BUILD && distIsStale()) {
    try {
      execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
        cwd: ROOT,
        stdio: "pipe",
      });
    } catch {
      // reported below if it left us without a CLI or a daemon
    }
  }
  for (const f of [FERRY, FERRYD]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run 'npx tsc -p tsconfig.build.json' first`);
  }
}

export function tempHome(prefix = "ferry-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is never a TTY here). */
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Another build's CLI (an older release, for the upgrade test); this checkout's by default. */
  cli?: string;
}

export function ferry(home: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env: Record<string, string | undefined> = { ...process.env, FERRY_HOME: home, NO_COLOR: "1", ...opts.env };
    delete env.FERRY_ADMIN_PASSWORD;
    if (opts.env?.FERRY_ADMIN_PASSWORD) env.FERRY_ADMIN_PASSWORD = opts.env.FERRY_ADMIN_PASSWORD;
    const child = spawn(process.execPath, [opts.cli ?? FERRY, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like ferry(), but fails the test with the output when the exit status is not 0. */
export async function ok(home: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  const r = await ferry(home, args, opts);
  if (r.code !== 0) {
    throw new Error(`ferry ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return r;
}

export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = "condition",
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

type Doc = Record<string, any>;

/**
 * A status document without its units' workload reports: live agents keep
 * reporting (a migration must not stop them), so the last report is not
 * model content to compare.
 */
export function stripLive(doc: Doc): Doc {
  for (const a of Object.values(doc.applications ?? {}) as Doc[])
    for (const u of Object.values(a.units ?? {}) as Doc[]) delete u["workload-report"];
  return doc;
}

/** Every unit of the status document is idle. */
export const settled = (d: Doc): boolean =>
  Object.values(d.applications as Record<string, Doc>).every((a) =>
    Object.values((a.units ?? {}) as Record<string, Doc>).every((u) => u["agent-status"].current === "idle"),
  );
