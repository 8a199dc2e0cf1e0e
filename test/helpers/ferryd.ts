// Starts a real ferryd process (compiled, from dist/) on port 0 with its own
// data dir, for integration and end-to-end tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { openStore, type Store, type StoreSpec } from "../../src/store/index.js";
import { createDatabase } from "./postgres.js";

/** The checkout root, found from here whether running from test/ or dist/test/. */
function findRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, "package.json"))) dir = join(dir, "..");
  return dir;
}

export const ROOT = findRoot();
export const FERRYD = join(ROOT, "dist", "src", "bin", "ferryd.js");
export const FERRY = join(ROOT, "dist", "src", "bin", "ferry.js");

export interface Ferryd {
  name: string;
  address: string;
  dataDir: string;
  /** The store it runs on (its --store). */
  store: StoreSpec;
  caPem: string;
  adminPassword: string;
  proc: ChildProcess;
  /** Everything the process wrote to stdout/stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (crash) and wait. */
  kill(): Promise<void>;
  /** Removes the data dir (after stop). */
  cleanup(): void;
}

export interface FerrydOptions {
  name?: string;
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  adminPassword?: string;
  /**
   * The store: "sqlite" (default, in the data dir), "postgres" (a fresh
   * database on the run's cluster; dropped with the cluster) or a
   * postgres:// URL (e.g. another node's, for HA).
   */
  store?: "sqlite" | "postgres" | string;
}

export async function startFerryd(opts: FerrydOptions = {}): Promise<Ferryd> {
  if (!existsSync(FERRYD)) throw new Error(`${FERRYD} missing: run npm run build`);
  const name = opts.name ?? "test";
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `ferryd-${name}-`));
  const portFile = join(dataDir, "api-port");
  rmSync(portFile, { force: true });
  const adminPassword = opts.adminPassword ?? "admin-secret-pw";
  const storeArg = opts.store === "postgres" ? (await createDatabase("ferry_d")).url : opts.store;
  const store: StoreSpec =
    storeArg && storeArg !== "sqlite"
      ? { engine: "postgres", url: storeArg }
      : { engine: "sqlite", file: join(dataDir, "ferry.db") };
  const proc = spawn(
    process.execPath,
    [
      ...(process.env.FERRYD_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      FERRYD,
      "--name",
      name,
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--port-file",
      portFile,
      ...(store.engine === "postgres" ? ["--store", store.url] : []),
      ...(opts.args ?? []),
    ],
    {
      env: { ...process.env, FERRY_ADMIN_PASSWORD: adminPassword, FERRY_PROVISION_DELAY_MS: "20", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!existsSync(portFile)) {
    if (proc.exitCode !== null) throw new Error(`ferryd exited early (${proc.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`ferryd did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const { address } = JSON.parse(readFileSync(portFile, "utf8")) as { address: string };
  return {
    name,
    address,
    dataDir,
    store,
    caPem: readFileSync(join(dataDir, "ca.pem"), "utf8"),
    adminPassword,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** The --store a controller runs on, to start it (or another node of it) again on the same store. */
export function storeOf(d: Pick<Ferryd, "store">): string {
  return d.store.engine === "postgres" ? d.store.url : "sqlite";
}

/**
 * Runs fn on a controller's store from outside the process (to set things up
 * that have no API yet, or to look at what it wrote). The process may be
 * running: the store allows another connection.
 */
export async function withStoreOf<T>(d: Pick<Ferryd, "store">, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(d.store);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A typed client over real TLS pinned to the controller's CA. */
export function clientFor<S extends DescService>(
  c: Pick<Ferryd, "address" | "caPem">,
  service: S,
  token?: string,
): Client<S> {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createGrpcTransport({
    baseUrl: `https://${c.address}`,
    nodeOptions: { ca: c.caPem },
    interceptors: [auth],
  });
  return createClient(service, transport);
}

/** One "rpc" line of a ferryd's call log (see src/transport/calllog.ts). */
export interface LoggedCall {
  method: string;
  status: string;
  durationMs: number;
  timeoutMs?: number;
}

/**
 * The calls a ferryd logged so far (all of them at FERRY_LOG_LEVEL=debug, the
 * failed ones at the default level). Only whole JSON lines count: the process
 * is still writing.
 */
export function callLog(d: Pick<Ferryd, "output">): LoggedCall[] {
  const calls: LoggedCall[] = [];
  for (const line of d.output().split("\n")) {
    if (!line.startsWith("{") || !line.endsWith("}")) continue;
    try {
      const rec = JSON.parse(line) as { msg?: string } & LoggedCall;
      if (rec.msg === "rpc") calls.push(rec);
    } catch {
      // Not a log line of ours.
    }
  }
  return calls;
}

const TIMEOUT_ROUNDING_MS = 3;

/**
 * Whether `d` logged a call to `method` that arrived with the caller's deadline
 * (a timeoutMs of at most `maxMs`) and was not answered after that deadline
 * passed. Ending unanswered (DEADLINE_EXCEEDED, or CANCELLED when the client's
 * reset beat our timer) is the usual case; an OK sent within the deadline is
 * allowed because on a fast machine the answer and the client's timer can cross
 * on the wire, which is the client's deadline working, not the server ignoring it.
 */
export function deadlineReachedServer(d: Pick<Ferryd, "output">, method: string, maxMs: number): boolean {
  return callLog(d).some(
    (c) =>
      c.method === method &&
      c.timeoutMs !== undefined &&
      // gRPC C-core (Python) rounds the remaining time up to whole milliseconds
      // when it writes grpc-timeout, so a busy client may send 301 for 300.
      c.timeoutMs <= maxMs + TIMEOUT_ROUNDING_MS &&
      (c.status !== "OK" || c.durationMs <= c.timeoutMs),
  );
}

/** The logged calls to `method`, for a failure message. */
export function callsTo(d: Pick<Ferryd, "output">, method: string): string {
  return JSON.stringify(callLog(d).filter((c) => c.method === method));
}

/** Polls `cond` until it holds or `timeoutMs` passes; resolves with whether it held. */
export async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/**
 * Starts several ferryds at once. If any fails to start, the others are
 * stopped and removed before the error is thrown, so nothing is left running.
 */
export async function startFerryds(...opts: FerrydOptions[]): Promise<Ferryd[]> {
  const results = await Promise.allSettled(opts.map((o) => startFerryd(o)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stopAll(results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<Ferryd>).value);
}

/** Stops and removes every ferryd given, even when stopping one of them fails. */
export async function stopAll(ds: (Ferryd | undefined)[]): Promise<void> {
  await Promise.allSettled(
    ds.map(async (d) => {
      if (!d) return;
      try {
        await d.stop();
      } finally {
        d.cleanup();
      }
    }),
  );
}
