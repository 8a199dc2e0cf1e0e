// The generated Go (gen/go) and Python (gen/python, pip-installed) clients
// against real ferryd processes over TLS: health, login, create/deploy/status,
// WatchStatus seeing a change, deadlines on a unary call and a stream that reach
// the server, the 4 MiB limit, and a migration watched to DONE whose stale call
// is followed to the destination with each language's redirect helper. The
// journeys themselves are test/interop/go/main.go and test/interop/python/journey.py.
//
// Locally a missing toolchain (go; python3 with grpcio, grpcio-status,
// grpcio-health-checking, setuptools) skips its journey; in CI (CI=true,
// .ci/run installs them) it fails instead.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callsTo,
  deadlineReachedServer,
  eventually,
  ROOT,
  startFerryds,
  stopAll,
  type Ferryd,
} from "../helpers/ferryd.js";
import { inCI, python, works } from "../helpers/tools.js";

const run = promisify(execFile);
const haveGo = works("go", ["version"]);
const havePython = works(python, ["-c", "import grpc, grpc_status, grpc_health.v1.health_pb2, setuptools"]);

const FAST_ENV = { FERRY_MIGRATION_RETRY_MS: "1500", FERRY_PROVISION_DELAY_MS: "5" };
/**
 * Logins on the source take a second (a test knob), so the journeys' 100 ms
 * login deadline runs out on the server whatever the machine's speed.
 */
const SLOW_LOGIN = { FERRY_LOGIN_TEST_DELAY_MS: "1000" };

describe("generated clients against a live controller", () => {
  const started: Ferryd[] = [];
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "ferry-interop-"));
  });
  afterAll(async () => {
    await stopAll(started);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh source and destination controller, and the journey's environment. */
  async function pair(tag: string): Promise<{ src: Ferryd; env: NodeJS.ProcessEnv }> {
    const [src, dst] = await startFerryds(
      { name: `${tag}-src`, env: { ...FAST_ENV, ...SLOW_LOGIN } },
      { name: `${tag}-dst`, env: FAST_ENV },
    );
    started.push(src!, dst!);
    const srcCa = join(tmp, `${tag}-src-ca.pem`);
    const dstCa = join(tmp, `${tag}-dst-ca.pem`);
    writeFileSync(srcCa, src.caPem);
    writeFileSync(dstCa, dst.caPem);
    const env = {
      ...process.env,
      SRC_ADDR: src.address,
      SRC_CA: srcCa,
      DST_ADDR: dst.address,
      DST_CA: dstCa,
      ADMIN_PASSWORD: src.adminPassword,
      MODEL: `${tag}-journey`,
    };
    return { src, env };
  }

  /**
   * The journey's deadlines reached the server: its call log shows the Login
   * (100 ms) and the WatchStatus (300 ms) with the time their caller gave them,
   * not answered after it (see deadlineReachedServer).
   */
  async function expectDeadlinesSeenBy(src: Ferryd): Promise<void> {
    const login = "/ferry.v1.ControllerService/Login";
    const watch = "/ferry.v1.ModelService/WatchStatus";
    await eventually(() => deadlineReachedServer(src, watch, 300));
    expect(deadlineReachedServer(src, login, 100), `Login with 100 ms: ${callsTo(src, login)}`).toBe(true);
    expect(deadlineReachedServer(src, watch, 300), `WatchStatus with 300 ms: ${callsTo(src, watch)}`).toBe(true);
  }

  const STEPS = [
    "not found is not a redirect",
    "health serving",
    "login",
    "create model",
    "deploy",
    "get status",
    "fetch status",
    "fetched status matches",
    "watch status sees the new unit",
    "deadline exceeded",
    "stream deadline exceeded",
    "works after deadline",
    "oversized request",
    "works after oversized",
    "start migration",
    "migration done",
  ];

  async function journey(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
    try {
      const { stdout } = await run(cmd, args, { cwd, env, maxBuffer: 16 << 20 });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${cmd} journey failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
    }
  }

  it.skipIf(!haveGo && !inCI)(
    "Go client (gen/go + ferryclient)",
    async () => {
      expect(haveGo, "go is not installed").toBe(true);
      const { src, env } = await pair("go");
      const out = await journey("go", ["run", "."], join(ROOT, "test", "interop", "go"), env);
      for (const step of [
        ...STEPS,
        "redirect",
        "follow redirect",
        "status at destination model",
        "follow past a dead address",
        "status past a dead address",
      ]) {
        expect(out).toContain(`ok ${step}\n`);
      }
      expect(out).toContain("JOURNEY OK");
      await expectDeadlinesSeenBy(src);
    },
    300_000,
  );

  it.skipIf(!haveGo && !inCI)(
    "gen/go builds, vets and passes its helper's tests",
    async () => {
      expect(haveGo, "go is not installed").toBe(true);
      const dir = join(ROOT, "gen", "go");
      await journey("go", ["vet", "./..."], dir, process.env);
      const out = await journey("go", ["test", "./..."], dir, process.env);
      expect(out).toMatch(/^ok\s+github\.com\/ferry\/ferry\/gen\/go\/ferryclient/m);
    },
    300_000,
  );

  it.skipIf(!havePython && !inCI)(
    "Python client (gen/python + ferry.client)",
    async () => {
      expect(havePython, `${python} with grpcio, grpcio-status, grpcio-health-checking, setuptools is missing`).toBe(
        true,
      );
      // As a user would have it: gen/python pip-installed (from a copy, since
      // setuptools writes build files next to the sources), not on PYTHONPATH.
      const source = join(tmp, "py-src");
      const site = join(tmp, "py-site");
      cpSync(join(ROOT, "gen", "python"), source, { recursive: true, filter: (f) => !f.includes("__pycache__") });
      const pip = [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-build-isolation",
      ];
      await journey(python, [...pip, "--target", site, source], tmp, process.env);
      const { src, env } = await pair("py");
      env.PYTHONPATH = site;
      env.PYTHONDONTWRITEBYTECODE = "1";
      const out = await journey(python, [join(ROOT, "test", "interop", "python", "journey.py")], tmp, env);
      expect(out).toContain(`ok imported ${join(site, "ferry", "client.py")}\n`);
      for (const step of [
        ...STEPS,
        "merge status parts",
        "redirect",
        "follow redirect",
        "follow past a dead address",
        "no address connects",
      ]) {
        expect(out).toContain(`ok ${step}\n`);
      }
      expect(out).toContain("JOURNEY OK");
      await expectDeadlinesSeenBy(src);
    },
    120_000,
  );
});
