// Running ferryd as a detached background process and keeping track of it.
import { spawn, type ChildProcess } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The ferryd entry point next to this CLI: dist/src/cli/daemon.js ->
 * dist/src/bin/ferryd.js. Running `node` on it directly (rather than via PATH)
 * guarantees the daemon is the same build as the CLI.
 */
export function ferrydPath(): string {
  return fileURLToPath(new URL("../bin/ferryd.js", import.meta.url));
}

export interface PortFile {
  address: string;
  pid: number;
}

export async function readPortFile(path: string): Promise<PortFile | undefined> {
  try {
    const doc = JSON.parse(await readFile(path, "utf8")) as Partial<PortFile>;
    if (typeof doc.address === "string" && doc.address && typeof doc.pid === "number") {
      return { address: doc.address, pid: doc.pid };
    }
  } catch {
    // Missing, or caught half-written: the caller polls again.
  }
  return undefined;
}

export interface SpawnedDaemon {
  child: ChildProcess;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  logPath: string;
}

/**
 * Start ferryd detached (its own process group, so a Ctrl-C on the CLI does
 * not take the controller down), its output appended to `<dataDir>/ferryd.log`,
 * the admin password (if any: a restored controller has its own) written as
 * the first line of its stdin, then let go of it.
 */
export async function spawnFerryd(
  args: string[],
  dataDir: string,
  adminPassword?: string,
  /** Extra environment (e.g. FERRY_STORE: a URL with a password must not show in `ps`). */
  env?: Record<string, string>,
): Promise<SpawnedDaemon> {
  const logPath = join(dataDir, "ferryd.log");
  const log = await open(logPath, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [ferrydPath(), ...args], {
      detached: true,
      stdio: [adminPassword === undefined ? "ignore" : "pipe", log.fd, log.fd],
      cwd: dataDir,
      env: env ? { ...process.env, ...env } : process.env,
    });
  } finally {
    await log.close();
  }
  const daemon: SpawnedDaemon = { child, logPath };
  child.once("exit", (code, signal) => (daemon.exit = { code, signal }));
  child.once("error", () => (daemon.exit ??= { code: null, signal: null }));
  if (adminPassword !== undefined) {
    // EPIPE if the daemon died before reading; its exit is reported instead.
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(`${adminPassword}\n`);
  }
  child.unref();
  return daemon;
}

export async function tailFile(path: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Whether `pid` is a live (not zombie) process. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed daemon whose parent (an exited CLI) left it to a PID 1 that does
  // not reap stays a zombie: dead for our purposes.
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (err) {
    // Gone between the two checks, or no /proc at all (not Linux).
    return (
      (err as NodeJS.ErrnoException).code !== "ENOENT" ||
      !(await readFile("/proc/self/stat").then(
        () => true,
        () => false,
      ))
    );
  }
}

/**
 * How a node was started (`<data-dir>/launch.json`, 0600: the store URL may
 * carry a password), so `ferry enable-ha` can start more nodes of the same
 * controller the same way.
 */
export interface LaunchRecord {
  /** ferryd's flags that every node of the controller shares (name, cloud, region, ...). */
  args: string[];
  /** FERRY_STORE: the store URL, or undefined for the embedded store. */
  store?: string;
}

export async function writeLaunchRecord(dataDir: string, rec: LaunchRecord): Promise<void> {
  const { writeFileAtomic } = await import("../util/files.js");
  await writeFileAtomic(join(dataDir, "launch.json"), JSON.stringify(rec, null, 2) + "\n", 0o600);
}

export async function readLaunchRecord(dataDir: string): Promise<LaunchRecord | undefined> {
  try {
    const doc = JSON.parse(await readFile(join(dataDir, "launch.json"), "utf8")) as Partial<LaunchRecord>;
    return Array.isArray(doc.args) ? { args: doc.args.map(String), store: doc.store } : undefined;
  } catch {
    return undefined;
  }
}

/** Guard against a recycled pid: only signal a process that is ferryd. */
export async function isFerryd(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("ferryd");
  } catch {
    // No /proc (not Linux): trust the pid we recorded.
    return true;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wait until `pid` is gone; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await processAlive(pid))) return true;
    await sleep(100);
  }
  return !(await processAlive(pid));
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves true once the process is
 * gone. A process already gone counts as stopped.
 */
export async function terminate(pid: number, graceMs: number): Promise<boolean> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // exited in between
    }
  };
  if (!(await processAlive(pid))) return true;
  signal("SIGTERM");
  if (await waitForExit(pid, graceMs)) return true;
  signal("SIGKILL");
  return waitForExit(pid, 5_000);
}
