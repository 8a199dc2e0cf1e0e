// bench/api: unary throughput and latency of a real ferryd, driven by ghz over
// TLS, against baselines measured in the same run with the same load generator:
//
//   - GetStatus on ferryd against a bare grpc-js server answering a
//     pre-serialized message of the same size (goal: ratio >= 0.6);
//   - the redirect a source controller answers for a model migrated away
//     (FAILED_PRECONDITION + ErrorInfo + ModelRedirect in the trailers) against
//     normal reads on the same controller, GetStatus and the small GetModel
//     (goal: the redirect costs no more than a normal read).
//
//   - with --store postgres (a throwaway PostgreSQL the bench starts) or
//     --store postgres://...: GetStatus and GetModel on a ferryd on PostgreSQL
//     too, beside SQLite's, in the same run (goal: GetStatus >= 0.4 of bare).
//
// Usage: npm run bench:api [-- --requests N --concurrency C --connections K --rounds R --only T,...
//                            --store postgres[://...]]
// Each target is measured R times, interleaved; the best round is reported.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { GetStatusResponseSchema } from "../../gen/ts/ferry/v1/model_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { connect, RedirectError, type FerryClients } from "../../src/client/index.js";
import { followMigration, startMigrationTo } from "../../src/client/migration.js";
import { ROOT, startFerryds, stopAll, type Ferryd } from "../../test/helpers/ferryd.js";
import { findGhz } from "../../test/helpers/tools.js";
import { benchPostgres, storeArg, type BenchPostgres } from "../common/postgres.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = arg("requests", 20000);
const CONCURRENCY = arg("concurrency", 32);
const CONNECTIONS = arg("connections", 1);
const ROUNDS = arg("rounds", 2);
/** --only a,b: measure just these targets (e.g. to profile one of them). */
const ONLY = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : undefined;
const STORE = storeArg(args);

const ghzBin = findGhz();
if (!ghzBin) {
  console.error("ghz not found: go install github.com/bojand/ghz/cmd/ghz@v0.120.0 (or set $GHZ)");
  process.exit(2);
}

interface Target {
  name: string;
  address: string;
  /** The CA to trust (each controller has its own), and the token for it. */
  ca?: string;
  token?: string;
  call: string;
  data: unknown;
  /** The status code every answer must have ("OK" for reads, "FailedPrecondition" for the redirect). */
  expect: string;
}

interface GhzResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  /** Answers with another status than the target expects. */
  unexpected: number;
}

function ghz(t: Target, ca: string, token: string, n: number): GhzResult {
  const out = execFileSync(
    ghzBin!,
    [
      "--protoset",
      join(ROOT, "gen", "ferry.binpb"),
      "--call",
      t.call,
      "--cacert",
      t.ca ?? ca,
      "-d",
      JSON.stringify(t.data),
      "-m",
      JSON.stringify({ authorization: `Bearer ${t.token ?? token}` }),
      "-n",
      String(n),
      "-c",
      String(CONCURRENCY),
      "--connections",
      String(CONNECTIONS),
      // Latencies of non-OK answers count too: the redirect IS the answer here.
      "--count-errors",
      "-O",
      "json",
      t.address,
    ],
    { encoding: "utf8", maxBuffer: 256 << 20 },
  );
  const r = JSON.parse(out) as {
    rps: number;
    latencyDistribution: { percentage: number; latency: number }[] | null;
    statusCodeDistribution: Record<string, number>;
  };
  const pct = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6;
  const unexpected = Object.entries(r.statusCodeDistribution).reduce((s, [k, v]) => (k === t.expect ? s : s + v), 0);
  return { rps: r.rps, p50ms: pct(50), p99ms: pct(99), unexpected };
}

/** A small model, as `ferry status` would show: 3 applications, 5 units, 2 relations. */
async function fill(c: FerryClients, name: string): Promise<void> {
  await c.model.createModel({ name });
  await c.model.deployApplication({ model: name, charm: "postgresql", numUnits: 2 });
  await c.model.deployApplication({ model: name, charm: "wordpress", numUnits: 2 });
  await c.model.deployApplication({ model: name, charm: "haproxy" });
  await c.model.addRelation({ model: name, endpoints: ["wordpress", "postgresql"] });
  await c.model.addRelation({ model: name, endpoints: ["haproxy", "wordpress"] });
}

async function login(d: Ferryd): Promise<{ c: FerryClients; token: string }> {
  const anon = connect({ address: d.address, caPem: d.caPem });
  const { token } = await anon.controller.login({ user: "admin", password: d.adminPassword });
  anon.close();
  return { c: connect({ address: d.address, caPem: d.caPem, token }), token };
}

/** Migrates `model` from src to dst the way `ferry migrate` does, to DONE. */
async function migrate(src: FerryClients, dst: FerryClients, dstd: Ferryd, model: string): Promise<void> {
  const started = await startMigrationTo(
    src,
    { clients: dst, name: "dst", addresses: [dstd.address], caPem: dstd.caPem },
    model,
  );
  const end = await followMigration(src, started.id, () => {});
  if (end.phase !== MigrationPhase.DONE) throw new Error(`migration ended in ${MigrationPhase[end.phase]}`);
}

async function main(): Promise<void> {
  const quiet = { FERRY_LOG_LEVEL: "warn", FERRY_PROVISION_DELAY_MS: "20" };
  const pgServer: BenchPostgres | undefined = STORE ? await benchPostgres(STORE) : undefined;
  const pgUrl = pgServer ? await pgServer.database("api") : undefined;
  const [ctl, dst, metered, onPg] = await startFerryds(
    { name: "bench", env: quiet },
    { name: "bench-dst", env: quiet },
    // The same controller with load accounting and Prometheus metrics on.
    { name: "bench-metrics", env: { ...quiet, FERRY_METRICS_LISTEN: "127.0.0.1:0" } },
    ...(pgUrl ? [{ name: "bench-pg", env: quiet, store: pgUrl }] : []),
  );
  const work = mkdtempSync(join(tmpdir(), "ferry-bench-"));
  let bare: ReturnType<typeof spawn> | undefined;
  const open: FerryClients[] = [];
  const cleanup = async () => {
    for (const o of open) o.close();
    bare?.kill("SIGTERM");
    await stopAll([ctl, dst, metered, onPg]);
    await pgServer?.stop().catch((e: Error) => console.error(`dropping the bench's databases: ${e.message}`));
    rmSync(work, { recursive: true, force: true });
  };
  // Stopped from outside (Ctrl-C, a test's timeout): take the servers down too.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    const { c, token } = await login(ctl);
    let pgToken = "";
    const d = (await login(dst)).c;
    open.push(c, d);
    await fill(c, "bench");
    await fill(c, "moved");
    const m = await login(metered!);
    open.push(m.c);
    await fill(m.c, "bench");
    if (onPg) {
      const p = await login(onPg);
      open.push(p.c);
      await fill(p.c, "bench");
      pgToken = p.token;
    }
    await new Promise((r) => setTimeout(r, 1000)); // let the simulator settle
    await migrate(c, d, dst, "moved");
    const redirected = await c.model.getStatus({ model: "moved" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(redirected instanceof RedirectError)) throw new Error(`expected a redirect, got ${String(redirected)}`);

    const status = await c.model.getStatus({ model: "bench" });
    const bytes = toBinary(GetStatusResponseSchema, status);
    const responseFile = join(work, "response.bin");
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
    const barePort = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("the bare grpc-js server did not start within 20 s")), 20_000);
      bare!.once("exit", (code) => reject(new Error(`the bare grpc-js server exited (${code})`)));
      bare!.stdout!.once("data", (chunk) => (clearTimeout(t), resolve(String(chunk).trim())));
    });
    const ca = join(ctl.dataDir, "ca.pem");

    const allTargets: Target[] = [
      {
        name: "bare grpc-js",
        address: `127.0.0.1:${barePort}`,
        call: "ferry.v1.ModelService.GetStatus",
        data: { model: "bench" },
        expect: "OK",
      },
      {
        name: "GetStatus",
        address: ctl.address,
        call: "ferry.v1.ModelService.GetStatus",
        data: { model: "bench" },
        expect: "OK",
      },
      {
        name: "GetStatus metrics",
        address: metered!.address,
        ca: join(metered!.dataDir, "ca.pem"),
        token: m.token,
        call: "ferry.v1.ModelService.GetStatus",
        data: { model: "bench" },
        expect: "OK",
      },
      {
        name: "GetModel",
        address: ctl.address,
        call: "ferry.v1.ModelService.GetModel",
        data: { model: "bench" },
        expect: "OK",
      },
      {
        name: "redirect",
        address: ctl.address,
        call: "ferry.v1.ModelService.GetStatus",
        data: { model: "moved" },
        expect: "FailedPrecondition",
      },
      ...(onPg
        ? [
            {
              name: "GetStatus pg",
              address: onPg.address,
              ca: join(onPg.dataDir, "ca.pem"),
              token: pgToken,
              call: "ferry.v1.ModelService.GetStatus",
              data: { model: "bench" },
              expect: "OK",
            },
            {
              name: "GetModel pg",
              address: onPg.address,
              ca: join(onPg.dataDir, "ca.pem"),
              token: pgToken,
              call: "ferry.v1.ModelService.GetModel",
              data: { model: "bench" },
              expect: "OK",
            },
          ]
        : []),
    ];
    const targets = allTargets.filter((t) => !ONLY || ONLY.includes(t.name));
    // Warm up (JIT, TLS sessions, caches), then interleave the rounds so that
    // drift on a shared machine hits every target alike.
    for (const t of targets) ghz(t, ca, token, Math.min(REQUESTS, 5000));
    const best = new Map<string, GhzResult>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const r = ghz(t, ca, token, REQUESTS);
        if (r.unexpected > 0) throw new Error(`${t.name}: ${r.unexpected} answers were not ${t.expect}`);
        if (!best.has(t.name) || r.rps > best.get(t.name)!.rps) best.set(t.name, r);
      }
    }

    console.log(
      `ghz ${REQUESTS} requests x ${ROUNDS} rounds (best shown), concurrency ${CONCURRENCY}, ${CONNECTIONS} connection(s), TLS; ` +
        `GetStatus response ${bytes.length} bytes`,
    );
    console.log(`${"target".padEnd(18)} ${"req/s".padStart(8)} ${"p50".padStart(9)} ${"p99".padStart(9)}`);
    for (const t of targets) {
      const r = best.get(t.name)!;
      console.log(
        `${t.name.padEnd(18)} ${r.rps.toFixed(0).padStart(8)} ${`${r.p50ms.toFixed(2)} ms`.padStart(9)} ${`${r.p99ms.toFixed(2)} ms`.padStart(9)}`,
      );
    }
    if (ONLY) return;
    const rps = (name: string) => best.get(name)!.rps;
    const p50 = (name: string) => best.get(name)!.p50ms;
    console.log(`GetStatus / bare grpc-js:  ${(rps("GetStatus") / rps("bare grpc-js")).toFixed(2)}  (goal >= 0.6)`);
    console.log(
      `GetStatus with metrics / without: ${(rps("GetStatus metrics") / rps("GetStatus")).toFixed(3)} req/s, p50 ${(p50("GetStatus metrics") / p50("GetStatus")).toFixed(3)}x  (goal: req/s >= 0.95)`,
    );
    if (onPg) {
      console.log(
        `GetStatus on PostgreSQL / bare grpc-js: ${(rps("GetStatus pg") / rps("bare grpc-js")).toFixed(2)}  (goal >= 0.4)`,
      );
    }
    console.log(
      `redirect / GetStatus:      ${(rps("redirect") / rps("GetStatus")).toFixed(2)} req/s, p50 ${(p50("redirect") / p50("GetStatus")).toFixed(2)}x  (goal: req/s >= 1, p50 <= 1)`,
    );
    console.log(
      `redirect / GetModel:       ${(rps("redirect") / rps("GetModel")).toFixed(2)} req/s, p50 ${(p50("redirect") / p50("GetModel")).toFixed(2)}x`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
