// Builds the pinned older release (test/upgrade/PIN) from this repository's
// own history, once per checkout: `git archive` of the commit into a cache
// directory, its dependencies (this checkout's node_modules when it has
// every package the old lock file names at the same version, else its own
// `npm ci`), then its own tsc build. Later runs
// (the same suite on another Node.js, or the next test run) reuse it. The
// cache lives in this checkout's node_modules, so it goes with the checkout.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../e2e/harness.js";

export const PIN = readFileSync(join(ROOT, "test", "upgrade", "PIN"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .find((l) => l && !l.startsWith("#"))!;

export interface OldBuild {
  commit: string;
  dir: string;
  cli: string;
  /** Seconds the build took (0 when it came from the cache). */
  builtInS: number;
}

function git(args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  return execFileSync("git", args, { cwd: opts.cwd ?? ROOT, input: opts.input, maxBuffer: 1 << 30 });
}

type Lock = { packages: Record<string, { version?: string }> };

/**
 * Whether every package the old release's lock file names is installed here
 * at the same version (this checkout may have more): then the old build can
 * run on this checkout's node_modules, native modules included, on whichever
 * Node.js this run uses.
 */
function installedHere(oldLockFile: string): boolean {
  const old = JSON.parse(readFileSync(oldLockFile, "utf8")) as Lock;
  const here = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lock;
  return Object.entries(old.packages).every(([path, p]) => path === "" || here.packages[path]?.version === p.version);
}

export function buildOld(): OldBuild {
  const cacheRoot = join(ROOT, "node_modules", ".cache", "ferry-upgrade");
  // Per Node.js ABI: with its own node_modules (lock files that differ) the
  // native modules are built for the Node.js that built them.
  const dir = join(cacheRoot, `${PIN}-abi${process.versions.modules}`);
  const cli = join(dir, "dist", "src", "bin", "ferry.js");
  if (existsSync(join(dir, ".built"))) return { commit: PIN, dir, cli, builtInS: 0 };

  const started = performance.now();
  try {
    git(["cat-file", "-e", `${PIN}^{commit}`]);
  } catch {
    throw new Error(
      `the pinned older release ${PIN} (test/upgrade/PIN) is not in this clone's history; ` +
        "fetch it (git fetch --unshallow) or run from a full clone",
    );
  }
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync("tar", ["-x", "-C", tmp], { input: git(["archive", "--format=tar", PIN]), maxBuffer: 1 << 30 });

  if (installedHere(join(tmp, "package-lock.json"))) {
    symlinkSync(join(ROOT, "node_modules"), join(tmp, "node_modules"), "dir");
  } else {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts=false"], {
      cwd: tmp,
      stdio: "pipe",
      env: { ...process.env, ...(existsSync("/usr/include/node") ? { npm_config_nodedir: "/usr" } : {}) },
    });
  }
  execFileSync(process.execPath, [join(tmp, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: tmp,
    stdio: "pipe",
  });
  if (!existsSync(join(tmp, "dist", "src", "bin", "ferry.js"))) throw new Error(`building ${PIN} left no CLI`);
  execFileSync("touch", [join(tmp, ".built")]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { commit: PIN, dir, cli, builtInS: Math.round((performance.now() - started) / 1000) };
}
