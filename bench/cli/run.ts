// bench/cli: wall time of `ferry status` on a small model, cold process start
// included, against `node -e ""` (the floor any Node CLI pays) measured in the
// same run. Goal: under 0.3 s. Usage: npm run bench:cli [-- --runs N]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FERRY, ROOT } from "../../test/helpers/ferryd.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 20;

function time(cmd: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr}`);
  return ms;
}

function stats(xs: number[]): { p50: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

function main(): void {
  const home = mkdtempSync(join(tmpdir(), "ferry-bench-cli-"));
  const env = { ...process.env, FERRY_HOME: home, FERRY_ADMIN_PASSWORD: "bench-password" };
  const ferry = (...args: string[]) => execFileSync(process.execPath, [FERRY, ...args], { env, stdio: "pipe" });
  try {
    ferry("bootstrap", "localhost", "bench", "--api-port", "0");
    ferry("add-model", "small");
    ferry("deploy", "postgresql", "-n", "2");
    ferry("deploy", "wordpress", "-n", "2");
    ferry("integrate", "wordpress", "postgresql");
    execFileSync("sleep", ["1"]);
    // Warm the OS file cache once, as any second invocation would be.
    time([process.execPath, FERRY, "status"], env);
    const node: number[] = [];
    const status: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(time([process.execPath, "-e", ""], env));
      status.push(time([process.execPath, FERRY, "status"], env));
    }
    const n = stats(node);
    const s = stats(status);
    console.log(`${RUNS} runs each, small model (2 applications, 4 units, 1 relation), TLS, cwd ${ROOT}`);
    console.log(`node -e ""       p50 ${n.p50.toFixed(0)} ms  min ${n.min.toFixed(0)} ms  max ${n.max.toFixed(0)} ms`);
    console.log(`ferry status     p50 ${s.p50.toFixed(0)} ms  min ${s.min.toFixed(0)} ms  max ${s.max.toFixed(0)} ms`);
    console.log(`ratio (ferry status / bare node start, p50): ${(s.p50 / n.p50).toFixed(2)}`);
    console.log(`goal: p50 under 300 ms -> ${s.p50 < 300 ? "met" : "NOT met"}`);
  } finally {
    try {
      ferry("kill-controller", "bench", "-y");
    } catch {
      // already gone
    }
    rmSync(home, { recursive: true, force: true });
  }
}

main();
