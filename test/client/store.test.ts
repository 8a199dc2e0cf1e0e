import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ClientStore, ferryHome, type ControllerRecord } from "../../src/client/store/store.js";
import { withFileLock, writeFileAtomic } from "../../src/client/store/files.js";

const run = promisify(execFile);

const SRC: ControllerRecord = {
  uuid: "3b4e0c57-0000-4000-8000-000000000001",
  apiEndpoints: ["127.0.0.1:17070"],
  caCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  caFingerprint: "AA:BB",
  agentVersion: "1.0.0",
  cloud: "localhost",
  cloudType: "lxd",
  region: "localhost",
  dataDir: "/tmp/x",
  pidFile: "/tmp/x/api-port",
  pid: 42,
};

let home: string;
let store: ClientStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "ferry-home-"));
  store = new ClientStore(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const mode = (f: string) => statSync(join(home, f)).mode & 0o777;

describe("ClientStore", () => {
  it("defaults FERRY_HOME to ~/.local/share/ferry", () => {
    const saved = process.env.FERRY_HOME;
    delete process.env.FERRY_HOME;
    try {
      expect(ferryHome()).toMatch(/\.local\/share\/ferry$/);
    } finally {
      if (saved !== undefined) process.env.FERRY_HOME = saved;
    }
  });

  it("round-trips controllers with reference-style keys on disk", async () => {
    await store.putController("src", SRC);
    await store.setCurrentController("src");
    expect(await store.controller("src")).toEqual(SRC);
    const onDisk = parse(readFileSync(join(home, "controllers.yaml"), "utf8"));
    expect(onDisk["current-controller"]).toBe("src");
    expect(Object.keys(onDisk.controllers.src)).toEqual([
      "uuid",
      "api-endpoints",
      "ca-cert",
      "ca-fingerprint",
      "agent-version",
      "cloud",
      "cloud-type",
      "region",
      "data-dir",
      "pid-file",
      "pid",
    ]);
  });

  it("writes accounts.yaml 0600 even with a permissive umask", async () => {
    const old = process.umask(0);
    try {
      await store.putAccount("src", {
        user: "admin",
        token: "secret",
        tokenExpiry: "2030-01-01T00:00:00.000Z",
        access: "superuser",
      });
      await store.putController("src", SRC);
    } finally {
      process.umask(old);
    }
    expect(mode("accounts.yaml")).toBe(0o600);
    expect(mode("controllers.yaml")).toBe(0o644);
    const onDisk = parse(readFileSync(join(home, "accounts.yaml"), "utf8"));
    expect(onDisk.controllers.src).toEqual({
      user: "admin",
      token: "secret",
      "token-expiry": "2030-01-01T00:00:00.000Z",
      "last-known-access": "superuser",
    });
  });

  it("keeps the models cache and current model per controller", async () => {
    await store.updateModels("src", (m) => {
      m.models["admin/migrate"] = { uuid: "u1", type: "iaas" };
      m.currentModel = "admin/migrate";
    });
    await store.updateModels("dst", (m) => {
      m.models["admin/other"] = { uuid: "u2" };
    });
    expect(await store.models("src")).toEqual({
      models: { "admin/migrate": { uuid: "u1", type: "iaas" } },
      currentModel: "admin/migrate",
    });
    expect((await store.models("dst")).currentModel).toBeUndefined();
  });

  it("forgets everything about a removed controller", async () => {
    await store.putController("src", SRC);
    await store.setCurrentController("src");
    await store.putAccount("src", { user: "admin", token: "t" });
    await store.updateModels("src", (m) => (m.currentModel = "admin/x"));
    await store.removeController("src");
    expect(await store.controllers()).toEqual({ controllers: {} });
    expect(await store.account("src")).toBeUndefined();
    expect(await store.models("src")).toEqual({ models: {} });
  });

  it("leaves no temp or lock files behind", async () => {
    await store.putController("src", SRC);
    await store.putAccount("src", { user: "admin" });
    expect(readdirSync(home).sort()).toEqual(["accounts.yaml", "controllers.yaml"]);
  });

  it("loses no update when many writers race (in-process)", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.putController(`c${i}`, { ...SRC, uuid: `uuid-${i}` })),
    );
    expect(Object.keys((await store.controllers()).controllers)).toHaveLength(20);
  });

  it("loses no update when two processes race", async () => {
    const script = `
      import { ClientStore } from ${JSON.stringify(join(process.cwd(), "src/client/store/store.ts"))};
      const s = new ClientStore(process.argv[2]);
      for (let i = 0; i < 15; i++) await s.putAccount(process.argv[3] + i, { user: "u" });
    `;
    const file = join(home, "writer.mts");
    writeFileSync(file, script);
    const tsx = join(process.cwd(), "node_modules/.bin/tsx");
    await Promise.all([run(tsx, [file, home, "a"]), run(tsx, [file, home, "b"])]);
    const doc = parse(readFileSync(join(home, "accounts.yaml"), "utf8"));
    expect(Object.keys(doc.controllers)).toHaveLength(30);
  }, 30_000);
});

describe("writeFileAtomic", () => {
  it("replaces a file so a reader never sees a partial write", async () => {
    const path = join(home, "f.yaml");
    const big = "x".repeat(1 << 20);
    await writeFileAtomic(path, "old", 0o600);
    const reads: string[] = [];
    const reader = (async () => {
      for (let i = 0; i < 200; i++) reads.push(readFileSync(path, "utf8"));
    })();
    await writeFileAtomic(path, big, 0o600);
    await reader;
    for (const r of reads) expect(r === "old" || r === big).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(big);
  });

  it("breaks a stale lock left by a dead process", async () => {
    const path = join(home, "g.yaml");
    writeFileSync(`${path}.lock`, "99999");
    const old = new Date(Date.now() - 60_000);
    const { utimesSync } = await import("node:fs");
    utimesSync(`${path}.lock`, old, old);
    expect(await withFileLock(path, async () => "ran")).toBe("ran");
  });
});
