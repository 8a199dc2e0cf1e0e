// `npm run demo`: the whole Ferry story on one machine, through the real CLI
// and two real controller processes: bootstrap two controllers, fill a model,
// migrate it with live phase output, show the redirect the source gives stale
// requests, then clean up. Every command is printed before it runs.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const FERRY = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "ferry.js");
const home = mkdtempSync(join(tmpdir(), "ferry-demo-"));
const otherHome = mkdtempSync(join(tmpdir(), "ferry-demo-other-"));
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** The CLI as a child process, with the demo's environment. */
function spawnFerry(args: string[], h: string, stdio: StdioOptions): ChildProcess {
  return spawn(process.execPath, [FERRY, ...args], {
    env: { ...process.env, FERRY_HOME: h, FERRY_ADMIN_PASSWORD: "demo-admin-password" },
    stdio,
  });
}

function ferry(args: string[], opts: { home?: string; input?: string; mayFail?: boolean } = {}): Promise<number> {
  const h = opts.home ?? home;
  console.log(
    bold(`\n$ ferry ${args.join(" ")}${h === otherHome ? "    # as a second client (another FERRY_HOME)" : ""}`),
  );
  return new Promise((resolve, reject) => {
    const child = spawnFerry(args, h, [opts.input === undefined ? "ignore" : "pipe", "inherit", "inherit"]);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && !opts.mayFail) reject(new Error(`ferry ${args.join(" ")} exited ${code}`));
      else resolve(code ?? 1);
    });
  });
}

/** Runs `ferry args` without printing it, and returns what it wrote to stdout. */
function ferryOutput(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnFerry(args, home, ["ignore", "pipe", "inherit"]);
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`ferry ${args.join(" ")} exited ${code}`)),
    );
  });
}

/** Waits (quietly) until every unit of the current model is idle. */
async function untilSettled(timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const doc = JSON.parse(await ferryOutput(["status", "--format", "json"])) as {
      applications?: Record<string, { units?: Record<string, { "agent-status"?: { current?: string } }> }>;
    };
    const units = Object.values(doc.applications ?? {}).flatMap((a) => Object.values(a.units ?? {}));
    if (units.length > 0 && units.every((u) => u["agent-status"]?.current === "idle")) return;
    if (Date.now() > end) throw new Error("the model's units did not settle in time");
    await new Promise((r) => setTimeout(r, 250));
  }
}

function note(text: string): void {
  console.log(`\n# ${text}`);
}

async function main(): Promise<void> {
  note("Two controllers on this machine, each its own ferryd process with its own CA and SQLite store.");
  await ferry(["bootstrap", "localhost", "src", "--api-port", "0"]);
  await ferry(["bootstrap", "localhost", "dst", "--api-port", "0"]);
  await ferry(["switch", "src"]);

  note("A model with machines, applications, units, relations, config and a second user.");
  await ferry(["add-model", "migrate"]);
  await ferry(["deploy", "postgresql", "-n", "2"]);
  await ferry(["deploy", "wordpress", "-n", "2"]);
  await ferry(["integrate", "wordpress", "postgresql"]);
  await ferry(["config", "wordpress", "blog-title=Ferried"]);
  await ferry(["add-user", "bob"], { input: "bob-password\n" });
  await ferry(["add-user", "bob", "-c", "dst"], { input: "bob-password\n" });
  await ferry(["grant", "bob", "read", "migrate"]);
  await untilSettled(); // the source's prechecks want started machines and idle units
  await ferry(["status"]);

  note("Check first: --dry-run runs every precheck on both controllers and changes nothing.");
  await ferry(["migrate", "migrate", "dst", "--dry-run"], { mayFail: true });

  note("Migrate, following the phases live.");
  await ferry(["migrate", "migrate", "dst", "--wait"]);
  await ferry(["show-migration", "migrate"], { mayFail: true });

  note("The model now lives on dst, with everything it had.");
  await ferry(["status", "-m", "dst:migrate"]);

  note("The source answers stale requests with a redirect: (a) for a client that knows dst...");
  await ferry(["status", "-m", "src:migrate"], { mayFail: true });
  note("...and (b) for a client that never saw dst (bob, logged in to src only).");
  const controllers = parse(readFileSync(join(home, "controllers.yaml"), "utf8")) as {
    controllers: Record<string, { "api-endpoints": string[]; "ca-fingerprint": string }>;
  };
  const src = controllers.controllers.src;
  await ferry(["login", src["api-endpoints"][0], "-c", "src", "-u", "bob", "--fingerprint", src["ca-fingerprint"]], {
    home: otherHome,
    input: "bob-password\n",
  });
  await ferry(["status", "-m", "src:admin/migrate"], { home: otherHome, mayFail: true });
}

async function cleanup(): Promise<void> {
  note("Clean up.");
  for (const c of ["src", "dst"]) await ferry(["kill-controller", c, "-y"], { mayFail: true });
  rmSync(home, { recursive: true, force: true });
  rmSync(otherHome, { recursive: true, force: true });
}

main()
  .then(cleanup, async (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  })
  .catch(() => process.exit(1));
