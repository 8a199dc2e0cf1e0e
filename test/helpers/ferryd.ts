// Starts a real ferryd process (compiled, from dist/) on port 0 with its own
// data dir, for integration and end-to-end tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";

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
}

export async function startFerryd(opts: FerrydOptions = {}): Promise<Ferryd> {
  if (!existsSync(FERRYD)) throw new Error(`${FERRYD} missing: run npm run build`);
  const name = opts.name ?? "test";
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `ferryd-${name}-`));
  const portFile = join(dataDir, "api-port");
  rmSync(portFile, { force: true });
  const adminPassword = opts.adminPassword ?? "admin-secret-pw";
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
