// bench/api must keep running: a tiny pass (no timing assertions; figures come
// from the bench itself) that every target answers as it should, the redirect
// and the controller on PostgreSQL included, and that the report has its rows
// and ratios.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/ferryd.js";
import { pgAdminUrl } from "../helpers/postgres.js";
import { findGhz, inCI } from "../helpers/tools.js";

const run = promisify(execFile);
const ghz = findGhz();
/** The run's PostgreSQL server (the bench makes its databases there), when there is one. */
const pg = pgAdminUrl();

it.skipIf(!ghz && !inCI)(
  "npm run bench:api runs every target, the redirect and PostgreSQL included, and prints the ratios",
  async () => {
    expect(ghz, "ghz missing: .ci/run must go install it").toBeDefined();
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, "dist", "bench", "api", "run.js"),
        ...["--requests", "300", "--rounds", "1", "--concurrency", "8"],
        ...(pg ? ["--store", pg] : []),
      ],
      { env: { ...process.env, GHZ: ghz }, timeout: 120_000 },
    );
    const rows = ["bare grpc-js", "GetStatus", "GetModel", "redirect", ...(pg ? ["GetStatus pg", "GetModel pg"] : [])];
    for (const row of rows) {
      expect(stdout).toMatch(new RegExp(`^${row} +\\d+ +[\\d.]+ ms +[\\d.]+ ms$`, "m"));
    }
    expect(stdout).toMatch(/^GetStatus \/ bare grpc-js: +[\d.]+/m);
    if (pg) expect(stdout).toMatch(/^GetStatus on PostgreSQL \/ bare grpc-js: +[\d.]+/m);
    expect(stdout).toMatch(/^redirect \/ GetStatus: +[\d.]+ req\/s, p50 [\d.]+x/m);
  },
  150_000,
);
