// Where the interop tests find the external tools .ci/run installs, and whether a
// missing one is a skip (a developer's machine) or a failure (CI).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Under CI (CI=true, as .ci/run sets it) a test never skips for a missing tool. */
export const inCI = !!process.env.CI && process.env.CI !== "false";

/** The Python with grpcio and friends (.ci/run's venv exports it as $PYTHON). */
export const python = process.env.PYTHON ?? "python3";

/** Directory `go install` writes to. */
export const goBin = process.env.GOBIN ?? join(homedir(), "go", "bin");

function firstExisting(candidates: (string | undefined)[]): string | undefined {
  return candidates.find((c): c is string => !!c && existsSync(c));
}

function onPath(name: string): (string | undefined)[] {
  return (process.env.PATH ?? "").split(delimiter).map((d) => (d ? join(d, name) : undefined));
}

/** A current grpcurl (v1.9.x: reflection v1, falling back to v1alpha). */
export function findGrpcurl(): string | undefined {
  return firstExisting([process.env.GRPCURL, join(goBin, "grpcurl"), ...onPath("grpcurl")]);
}

/**
 * grpcurl v1.8.7, the last release that speaks only reflection v1alpha (as do
 * many older tools). .ci/run installs it beside the current one.
 */
const GRPCURL_V1ALPHA_DIR = join(homedir(), ".cache", "ferry-tools", "grpcurl-v1.8.7");
export function findGrpcurlV1Alpha(): string | undefined {
  return firstExisting([process.env.GRPCURL_V1ALPHA, join(GRPCURL_V1ALPHA_DIR, "grpcurl")]);
}

/** ghz, the gRPC load generator bench/api drives. */
export function findGhz(): string | undefined {
  return firstExisting([process.env.GHZ, join(goBin, "ghz"), ...onPath("ghz")]);
}

/** True when `cmd args...` runs and exits 0. */
export function works(cmd: string, args: string[], env?: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", env });
    return true;
  } catch {
    return false;
  }
}
