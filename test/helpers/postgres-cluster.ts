// A throwaway PostgreSQL cluster on loopback, for tests and benchmarks: initdb
// in a temporary directory, pg_ctl start on a free port, stop and remove at
// the end. PostgreSQL refuses to run as root, so as root (CI) the server runs
// as the `postgres` user in a directory it owns. One helper, shared: vitest's
// global setup (./postgres-global.ts) and bench/ start it through here.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth on loopback). */
  adminUrl: string;
  port: number;
  dir: string;
  stop(): void;
}

/** The server binaries (FERRY_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin); undefined when absent. */
export function pgBinDir(): string | undefined {
  const fromEnv = process.env.FERRY_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, "initdb")) ? fromEnv : undefined;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, "bin") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export async function startPgCluster(opts: { maxConnections?: number } = {}): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin)
    throw new Error("PostgreSQL server binaries not found (apt-get install -y postgresql, or set FERRY_PG_BIN)");
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "ferry-pg-"));
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
    execFileSync(argv[0] as string, argv[1] as string[], { stdio: ["ignore", "ignore", "pipe"] });
  };
  if (asRoot) {
    const pg = postgresUid();
    if (!pg) throw new Error("running as root but there is no postgres user to run PostgreSQL as");
    chownSync(dir, pg.uid, pg.gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    `-c max_connections=${opts.maxConnections ?? 300}`,
  ].join(" ");
  run("pg_ctl", ["-D", data, "-w", "-t", "60", "-l", join(dir, "server.log"), "-o", options, "start"]);
  let stopped = false;
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
