// `npm run demo`: the whole Ferry story on one machine, through the real CLI
// and two real controller processes: bootstrap two controllers, fill a model
// whose machines run live agents (ferry-agent processes, each unit with a
// workload reporting every second), migrate it with live phase output while
// the workloads run, show the agents on the destination and the workload
// figures (nothing lost, nothing twice, the longest gap), show the redirect
// the source gives stale requests, then clean up. Every command is printed
// before it runs.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
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

type AgentDoc = { connected?: boolean; controller?: string };

/** Agents of the current model's machines and units: how many are connected, and to which controller. */
async function agentsOf(
  model: string,
): Promise<{ total: number; connected: number; controllers: Set<string>; units: string[] }> {
  const doc = JSON.parse(await ferryOutput(["status", "-m", model, "--format", "json"])) as {
    machines?: Record<string, unknown>;
    applications?: Record<string, { units?: Record<string, unknown> }>;
  };
  const machines = Object.keys(doc.machines ?? {});
  const units = Object.values(doc.applications ?? {}).flatMap((a) => Object.keys(a.units ?? {}));
  const agents: AgentDoc[] = [];
  for (const id of machines) {
    const d = JSON.parse(await ferryOutput(["show-machine", id, "-m", model, "--format", "json"])) as {
      machines: Record<string, { agent?: AgentDoc }>;
    };
    agents.push(d.machines[id]?.agent ?? {});
  }
  for (const u of units) {
    const d = JSON.parse(await ferryOutput(["show-unit", u, "-m", model, "--format", "json"])) as Record<
      string,
      { agent?: AgentDoc }
    >;
    agents.push(d[u]?.agent ?? {});
  }
  const live = agents.filter((a) => a.connected);
  return {
    total: agents.length,
    connected: live.length,
    controllers: new Set(live.map((a) => a.controller ?? "")),
    units,
  };
}

/** Each unit's reports on the destination: lost (gaps) and duplicated sequence numbers. */
async function workloadFigures(
  model: string,
  units: string[],
): Promise<{ reports: number; lost: number; twice: number }> {
  let reports = 0;
  let lost = 0;
  let twice = 0;
  for (const u of units) {
    const d = JSON.parse(
      await ferryOutput(["status-history", u, "-m", model, "--type", "report", "-n", "10000", "--format", "json"]),
    ) as { entries: { seq?: number }[] };
    const seqs = d.entries.map((e) => e.seq ?? 0);
    reports += seqs.length;
    const seen = new Set<number>();
    for (const s of seqs) seen.has(s) ? twice++ : seen.add(s);
    const max = Math.max(0, ...seqs);
    lost += max - seen.size;
  }
  return { reports, lost, twice };
}

/** The gaps the agents logged when their reports moved from one controller to the other (ms). */
function reportGaps(): number[] {
  const dir = join(home, "controllers", "src", "agents");
  const gaps: number[] = [];
  for (const m of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const f of readdirSync(join(dir, m.name)).filter((x) => x.endsWith(".log"))) {
      for (const line of readFileSync(join(dir, m.name, f), "utf8").split("\n")) {
        if (!line.includes("accepted by another controller")) continue;
        const gap = (JSON.parse(line) as { gapMs?: number }).gapMs;
        if (typeof gap === "number") gaps.push(gap);
      }
    }
  }
  return gaps.sort((a, b) => a - b);
}

function note(text: string): void {
  console.log(`\n# ${text}`);
}

async function main(): Promise<void> {
  note(
    "Two controllers on this machine, each its own ferryd process with its own CA and SQLite store. " +
      "Every machine they start gets a live agent (a ferry-agent process, not part of the controller).",
  );
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
  const before = await agentsOf("src:migrate");
  note(
    `${before.connected} of ${before.total} agents connected to ${[...before.controllers].join(", ")} ` +
      `(machines and units; each unit's workload reports every second).`,
  );
  await ferry(["show-unit", "wordpress/0"]);

  note("Check first: --dry-run runs every precheck on both controllers and changes nothing.");
  await ferry(["migrate", "migrate", "dst", "--dry-run"], { mayFail: true });

  note("Migrate, following the phases live; the workloads keep running throughout.");
  const started = Date.now();
  await ferry(["migrate", "migrate", "dst", "--wait"]);
  const took = Date.now() - started;
  await ferry(["show-migration", "migrate"], { mayFail: true });

  note("The model now lives on dst, with everything it had, and its agents followed it.");
  await ferry(["status", "-m", "dst:migrate"]);
  await ferry(["show-machine", "0", "-m", "dst:migrate"]);
  // Reports queued while the model was frozen reach dst within a report interval or two.
  await new Promise((r) => setTimeout(r, 2500));
  const after = await agentsOf("dst:migrate");
  const figures = await workloadFigures("dst:migrate", after.units);
  const gaps = reportGaps();
  const p50 = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 0;
  const max = gaps.length ? gaps[gaps.length - 1]! : 0;
  note(
    `Workload figures for this model: ${after.connected} of ${after.total} agents connected to ` +
      `${[...after.controllers].join(", ")}; migration ${(took / 1000).toFixed(1)} s (ferry migrate --wait); ` +
      `${figures.reports} reports on dst, ${figures.lost} lost, ${figures.twice} twice; longest gap between a ` +
      `unit's last report accepted by src and its first accepted by dst: p50 ${(p50 / 1000).toFixed(1)} s, ` +
      `max ${(max / 1000).toFixed(1)} s.`,
  );
  await ferry(["debug-log", "-m", "dst:migrate", "-n", "12", "--no-tail"], { mayFail: true });

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
