// CreateBackup over the Connect router transport against a real SQLite store
// and PKI, then the archive read back and restored the way ferryd does it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ensurePki } from "../../src/pki/index.js";
import { principalKey, type Principal } from "../../src/services/context.js";
import { coalesce } from "../../src/services/backup-service.js";
import { createControllerService } from "../../src/services/controller-service.js";
import Database from "better-sqlite3";
import { openStore } from "../../src/store/index.js";
import {
  assertRestorable,
  BackupError,
  checksumFileFor,
  checksumLine,
  restoreBackup,
  verifyBackup,
} from "../../src/util/backup-archive.js";
import { controller, failure, startHarness, type Harness } from "./model-harness.js";

let h: Harness;
let dataDir: string;
let out: string;
let modelUuid = "";

function client(user: string, access: Principal["controllerAccess"]) {
  const service = createControllerService({
    store: h.store,
    dataDir: h.dataDir,
    controller,
    tokenTtlMs: 60_000,
    migrationTokenTtlMs: 60_000,
  });
  const principal: Principal = { kind: "user", user, controllerAccess: access, tokenHash: `t-${user}` };
  const auth: Interceptor = (next) => (req) => {
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
  return createClient(
    ControllerService,
    createRouterTransport((r) => r.service(ControllerService, service), { router: { interceptors: [auth] } }),
  );
}

async function download(user = "admin") {
  const messages = [];
  for await (const m of client(user, user === "admin" ? "superuser" : "login").createBackup({})) messages.push(m);
  return messages;
}

beforeAll(async () => {
  h = await startHarness();
  dataDir = h.dataDir;
  const pki = await ensurePki(dataDir, { controllerName: "src", hostnames: [] });
  controller.caCertPem = pki.caCertPem;
  controller.caFingerprint = pki.fingerprint;
  writeFileSync(join(dataDir, "migration-secrets.key"), "s3cret\n", { mode: 0o600 });
  const admin = h.as("admin");
  const m = (await admin.createModel({ name: "web" })).model!;
  modelUuid = m.uuid;
  await admin.addMachines({ model: "admin/web", count: 2 });
  // About 3 MiB of log entries, so the archive needs several chunks.
  const message = "x".repeat(1000);
  await h.store.write(async (tx) => {
    for (let i = 0; i < 3000; i++) {
      await tx.logs.append(modelUuid, { time: i, entity: "machine-0", level: "INFO", module: "t", message });
    }
  });
  out = mkdtempSync(join(tmpdir(), "ferry-backup-test-"));
});

afterAll(async () => {
  await h?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("CreateBackup", () => {
  let archive: string;
  let sha = "";

  it("streams chunks of at most 1 MiB, total size first and SHA-256 last", async () => {
    const messages = await download();
    expect(messages.length).toBeGreaterThan(3);
    for (const m of messages) expect(m.chunk.length).toBeLessThanOrEqual(1024 * 1024);
    expect(messages[0]!.totalSize).toBeGreaterThan(0n);
    expect(messages.slice(1).every((m) => m.totalSize === 0n)).toBe(true);
    expect(messages.slice(0, -1).every((m) => m.sha256 === "")).toBe(true);
    const bytes = Buffer.concat(messages.map((m) => m.chunk));
    expect(BigInt(bytes.length)).toBe(messages[0]!.totalSize);
    sha = messages.at(-1)!.sha256;
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha);
    archive = join(out, "backup.tar");
    writeFileSync(archive, bytes);
    // No temp snapshot left in the data dir.
    expect(readdirSync(dataDir).filter((f) => f.startsWith(".backup-"))).toEqual([]);
  });

  it("is a tar any tar reads, manifest first", () => {
    const names = execFileSync("tar", ["tf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual([
      "ferry-backup.json",
      "ferry.db",
      "ca.pem",
      "ca.key",
      "server.pem",
      "server.key",
      "migration-secrets.key",
    ]);
  });

  it("carries the controller's identity and verifies", async () => {
    const { manifest, sha256 } = await verifyBackup(archive, { expectedSha256: sha });
    expect(sha256).toBe(sha);
    expect(manifest.controller).toMatchObject({ name: "src", uuid: controller.uuid, cloudType: "lxd" });
    expect(manifest.controller.caFingerprint).toBe(controller.caFingerprint);
    expect(manifest.createdBy).toBe("admin");
    expect(manifest.modelCount).toBe(2); // controller + web
  });

  it("restores into an empty dir: same store content, same CA, keys 0600", async () => {
    const target = join(out, "restored");
    await restoreBackup(archive, target);
    expect(readFileSync(join(target, "ca.pem"), "utf8")).toBe(controller.caCertPem);
    expect(readFileSync(join(target, "ca.key"))).toEqual(readFileSync(join(dataDir, "ca.key")));
    for (const f of ["ca.key", "server.key", "ferry.db", "migration-secrets.key"]) {
      expect(statSync(join(target, f)).mode & 0o777, f).toBe(0o600);
    }
    // The restored file is a store the controller opens as it is.
    await (await openStore({ engine: "sqlite", file: join(target, "ferry.db") })).close();
    const restored = new Database(join(target, "ferry.db"), { readonly: true });
    try {
      const names = restored.prepare("SELECT name FROM models ORDER BY name").pluck().all();
      expect(names).toEqual(["controller", "web"]);
      const logs = restored.prepare("SELECT count(*) FROM log_entries WHERE length(message) = 1000").pluck();
      expect(logs.get()).toBe(3000);
    } finally {
      restored.close();
    }
  });

  it("refuses to restore into a data dir that is not empty", async () => {
    const target = join(out, "restored"); // filled by the test above
    await expect(restoreBackup(archive, target)).rejects.toThrow(/refusing to restore into .*: it is not empty/);
    const onlyLog = mkdtempSync(join(out, "log-only-"));
    writeFileSync(join(onlyLog, "ferryd.log"), "");
    await expect(assertRestorable(onlyLog)).resolves.toBeUndefined();
  });

  it("refuses a corrupted archive, with or without a checksum file", async () => {
    const bad = join(out, "bad.tar");
    const bytes = readFileSync(archive);
    bytes[4096] = bytes[4096]! ^ 0xff; // inside ferry.db
    writeFileSync(bad, bytes);
    await expect(verifyBackup(bad)).rejects.toThrow("ferry.db does not match its SHA-256 in the manifest");
    writeFileSync(checksumFileFor(bad), checksumLine(sha, bad));
    const err = await verifyBackup(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toMatch(/^SHA-256 mismatch: .*bad\.tar\.sha256 says [0-9a-f]{64}, the file has/);
    await expect(verifyBackup(archive, { expectedSha256: "0".repeat(64) })).rejects.toThrow("SHA-256 mismatch");
    const truncated = join(out, "short.tar");
    writeFileSync(truncated, readFileSync(archive).subarray(0, 5000));
    await expect(verifyBackup(truncated)).rejects.toThrow(/truncated archive/);
    const notTar = join(out, "x.tar");
    writeFileSync(notTar, "hello");
    await expect(verifyBackup(notTar)).rejects.toThrow(BackupError);
  });

  it("is for superusers only", async () => {
    const err = await failure(() => download("bob"));
    expect(err.code).toBe(Code.PermissionDenied);
  });

  it("stays consistent while the controller keeps writing", async () => {
    const c = client("admin", "superuser");
    const stream = c.createBackup({});
    const chunks: Uint8Array[] = [];
    let i = 0;
    for await (const m of stream) {
      chunks.push(m.chunk);
      // Writes between chunks must neither fail the backup nor tear it.
      await h.store.write((tx) =>
        tx.logs.append(modelUuid, { time: 10_000 + i++, entity: "m", level: "INFO", module: "t", message: "later" }),
      );
    }
    const file = join(out, "busy.tar");
    writeFileSync(file, Buffer.concat(chunks));
    const target = join(out, "busy");
    await restoreBackup(file, target);
    const restored = new Database(join(target, "ferry.db"), { readonly: true });
    try {
      const later = restored.prepare("SELECT count(*) FROM log_entries WHERE message = 'later'").pluck();
      expect(i).toBeGreaterThan(2);
      expect(later.get()).toBe(0); // the snapshot was taken before the stream started
      expect(restored.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      restored.close();
    }
  });
});

describe("coalesce", () => {
  it("joins small pieces and splits big ones, never above the limit", async () => {
    async function* pieces() {
      yield new Uint8Array(3);
      yield new Uint8Array(4);
      yield new Uint8Array(25);
      yield new Uint8Array(2);
    }
    const sizes: number[] = [];
    for await (const c of coalesce(pieces(), 10)) sizes.push(c.length);
    expect(sizes).toEqual([7, 10, 10, 5, 2]);
  });
});
