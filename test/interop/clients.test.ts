// The generated Go (gen/go) and Python (gen/python) clients against real ferryd
// processes over TLS: health, login, create/deploy/status, WatchStatus, a 1 ms
// deadline, the 4 MiB limit, and a migration whose stale call is followed to the
// destination with each language's redirect helper. The journeys themselves are
// test/interop/go/main.go and test/interop/python/journey.py.
//
// Locally a missing toolchain (go; python3 with grpcio, grpcio-status,
// grpcio-health-checking) skips its journey; in CI (CI=true, .ci/run installs
// them) it fails instead.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startFerryd, type Ferryd } from "../helpers/ferryd.js";
import { inCI, python, works } from "../helpers/tools.js";

const run = promisify(execFile);
const haveGo = works("go", ["version"]);
const havePython = works(python, ["-c", "import grpc, grpc_status, grpc_health.v1.health_pb2"]);

const FAST_ENV = { FERRY_MIGRATION_RETRY_MS: "1500", FERRY_PROVISION_DELAY_MS: "5" };

describe("generated clients against a live controller", () => {
  const started: Ferryd[] = [];
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "ferry-interop-"));
  });
  afterAll(async () => {
    for (const d of started) {
      await d.stop();
      d.cleanup();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh source and destination controller, and the journey's environment. */
  async function pair(tag: string): Promise<{ src: Ferryd; env: NodeJS.ProcessEnv }> {
    const src = await startFerryd({ name: `${tag}-src`, env: FAST_ENV });
    started.push(src);
    const dst = await startFerryd({ name: `${tag}-dst`, env: FAST_ENV });
    started.push(dst);
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

  /** The journey's deadlines reached the server: its call log saw them expire. */
  function expectDeadlinesSeenBy(src: Ferryd): void {
    const expired = src
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; method?: string; status?: string })
      .filter((r) => r.msg === "rpc" && r.status === "DEADLINE_EXCEEDED")
      .map((r) => r.method);
    expect(expired).toContain("/ferry.v1.ControllerService/Login");
    expect(expired).toContain("/ferry.v1.ModelService/WatchStatus");
  }

  const STEPS = [
    "not found is not a redirect",
    "health serving",
    "login",
    "create model",
    "deploy",
    "get status",
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
      for (const step of [...STEPS, "redirect", "follow redirect", "status at destination model"]) {
        expect(out).toContain(`ok ${step}\n`);
      }
      expect(out).toContain("JOURNEY OK");
      expectDeadlinesSeenBy(src);
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
      expect(havePython, `${python} with grpcio, grpcio-status, grpcio-health-checking is missing`).toBe(true);
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
      for (const step of [...STEPS, "redirect", "follow redirect"]) {
        expect(out).toContain(`ok ${step}\n`);
      }
      expect(out).toContain("JOURNEY OK");
      expectDeadlinesSeenBy(src);
    },
    120_000,
  );
});
