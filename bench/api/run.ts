// bench/api: unary GetStatus throughput and latency of a real ferryd against a
// bare grpc-js server answering a same-size message, measured in the same run
// with the same load generator (ghz), over TLS. Prints requests/s, p50/p99 and
// the ratio. Usage: npm run bench:api [-- --requests N --concurrency C]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { GetStatusResponseSchema, ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { clientFor, ROOT, startFerryd } from "../../test/helpers/ferryd.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = arg("requests", 20000);
const CONCURRENCY = arg("concurrency", 32);

function findGhz(): string {
  for (const p of [process.env.GHZ, join(homedir(), "go", "bin", "ghz")]) if (p && existsSync(p)) return p;
  try {
    return execFileSync("which", ["ghz"], { encoding: "utf8" }).trim();
  } catch {
    console.error("ghz not found: go install github.com/bojand/ghz/cmd/ghz@v0.120.0");
    process.exit(2);
  }
}

interface GhzResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

function ghz(address: string, ca: string, token: string, model: string): GhzResult {
  const out = execFileSync(
    findGhz(),
    [
      "--protoset",
      join(ROOT, "gen", "ferry.binpb"),
      "--call",
      "ferry.v1.ModelService.GetStatus",
      "--cacert",
      ca,
      "-d",
      JSON.stringify({ model }),
      "-m",
      JSON.stringify({ authorization: `Bearer ${token}` }),
      "-n",
      String(REQUESTS),
      "-c",
      String(CONCURRENCY),
      "--connections",
      String(arg("connections", 1)),
      "-O",
      "json",
      address,
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(out) as {
    rps: number;
    latencyDistribution: { percentage: number; latency: number }[];
    statusCodeDistribution: Record<string, number>;
  };
  const pct = (p: number) => (r.latencyDistribution.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6;
  const errors = Object.entries(r.statusCodeDistribution).reduce((n, [k, v]) => (k === "OK" ? n : n + v), 0);
  return { rps: r.rps, p50ms: pct(50), p99ms: pct(99), errors };
}

async function main(): Promise<void> {
  const ctl = await startFerryd({ name: "bench", env: { FERRY_LOG_LEVEL: "warn" } });
  const work = mkdtempSync(join(tmpdir(), "ferry-bench-"));
  let bare: ReturnType<typeof spawn> | undefined;
  try {
    const { token } = await clientFor(ctl, ControllerService).login({ user: "admin", password: ctl.adminPassword });
    const models = clientFor(ctl, ModelService, token);
    // A small model, as `ferry status` would show: 3 applications, 5 units, 2 relations.
    await models.createModel({ name: "bench" });
    await models.deployApplication({ model: "bench", charm: "postgresql", numUnits: 2 });
    await models.deployApplication({ model: "bench", charm: "wordpress", numUnits: 2 });
    await models.deployApplication({ model: "bench", charm: "haproxy" });
    await models.addRelation({ model: "bench", endpoints: ["wordpress", "postgresql"] });
    await models.addRelation({ model: "bench", endpoints: ["haproxy", "wordpress"] });
    await new Promise((r) => setTimeout(r, 1000)); // let the simulator settle
    const status = await models.getStatus({ model: "bench" });
    const responseFile = join(work, "response.bin");
    const bytes = toBinary(GetStatusResponseSchema, status);
    writeFileSync(responseFile, bytes);

    bare = spawn(
      process.execPath,
      [
        join(ROOT, "dist", "bench", "api", "bare-server.js"),
        join(ctl.dataDir, "server.pem"),
        join(ctl.dataDir, "server.key"),
        responseFile,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const barePort = await new Promise<string>((resolve) =>
      bare!.stdout!.once("data", (d) => resolve(String(d).trim())),
    );
    const ca = join(ctl.dataDir, "ca.pem");

    // Warm both up (JIT, TLS session), then measure alternately.
    ghzQuiet(() => ghz(`127.0.0.1:${barePort}`, ca, token, "bench"));
    ghzQuiet(() => ghz(ctl.address, ca, token, "bench"));
    const bareRes = ghz(`127.0.0.1:${barePort}`, ca, token, "bench");
    const ferryRes = ghz(ctl.address, ca, token, "bench");

    console.log(
      `GetStatus response: ${bytes.length} bytes; ${REQUESTS} requests, concurrency ${CONCURRENCY}, 1 connection, TLS`,
    );
    const row = (name: string, r: GhzResult) =>
      console.log(
        `${name.padEnd(16)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50ms.toFixed(2)} ms   p99 ${r.p99ms.toFixed(2)} ms   errors ${r.errors}`,
      );
    row("bare grpc-js", bareRes);
    row("ferryd", ferryRes);
    console.log(`ratio (ferryd / bare): ${(ferryRes.rps / bareRes.rps).toFixed(2)}  (goal >= 0.6)`);
  } finally {
    bare?.kill("SIGTERM");
    await ctl.stop();
    ctl.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

function ghzQuiet(fn: () => unknown): void {
  fn();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
