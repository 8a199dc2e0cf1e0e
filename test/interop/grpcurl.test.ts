// The real grpcurl against real ferryd processes over TLS, doing what
// docs/clients.md tells an operator to do: list and describe through reflection
// (v1, and v1alpha with grpcurl v1.8.7, which speaks nothing else), health, login
// and authenticated calls with -H, TLS refused without the controller's CA, a
// whole migration driven with grpcurl, and the stale call whose error details
// grpcurl prints as JSON (ModelRedirect included), followed to the destination.
//
// Locally a missing grpcurl skips; in CI (.ci/run installs both) it fails.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callLog, eventually, ROOT, startFerryds, stopAll, type Ferryd } from "../helpers/ferryd.js";
import { findGrpcurl, findGrpcurlV1Alpha, inCI } from "../helpers/tools.js";

const grpcurl = findGrpcurl();
const grpcurlV1Alpha = findGrpcurlV1Alpha();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; a non-zero exit is a result, not an exception. */
function exec(bin: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** The leading comment of a top-level declaration in a proto file, as lines. */
function leadingComment(protoFile: string, declaration: string): string[] {
  const lines = readFileSync(join(ROOT, "proto", protoFile), "utf8").split("\n");
  const at = lines.findIndex((l) => l.startsWith(declaration));
  const comment: string[] = [];
  for (let i = at - 1; i >= 0 && lines[i]!.startsWith("//"); i--) comment.unshift(lines[i]!);
  if (at < 0 || comment.length === 0) throw new Error(`no commented "${declaration}" in ${protoFile}`);
  return comment;
}

const FERRY_SERVICES = [
  "ferry.v1.AgentService",
  "ferry.v1.ControllerService",
  "ferry.v1.MigrationService",
  "ferry.v1.MigrationTargetService",
  "ferry.v1.ModelService",
];
const ALL_SERVICES = [
  ...FERRY_SERVICES,
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** How many calls of `method` the controller's call log (debug level) shows. */
function callsOf(d: Ferryd, method: string): number {
  return callLog(d).filter((c) => c.method === method).length;
}
const REFLECT_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
const REFLECT_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

describe.skipIf(!grpcurl && !inCI)("grpcurl against a live controller", () => {
  let src: Ferryd;
  let dst: Ferryd;
  let tmp: string;
  let srcCa: string;
  let dstCa: string;
  /** grpcurl with the source's CA pinned. */
  const g = (...args: string[]) => exec(grpcurl!, ["-cacert", srcCa, ...args]);

  beforeAll(async () => {
    expect(grpcurl, "grpcurl missing: .ci/run must go install it").toBeDefined();
    const env = { FERRY_LOG_LEVEL: "debug", FERRY_MIGRATION_RETRY_MS: "1500", FERRY_PROVISION_DELAY_MS: "5" };
    [src, dst] = await startFerryds(
      // Each phase takes a moment, so that WatchMigration (a grpcurl process
      // started after StartMigration returns) has changes to stream.
      { name: "curl-src", env: { ...env, FERRY_MIGRATION_TEST_DELAY_MS: "250" } },
      { name: "curl-dst", env, adminPassword: "dst-admin-pw" },
    );
    tmp = mkdtempSync(join(tmpdir(), "ferry-grpcurl-"));
    srcCa = join(tmp, "src-ca.pem");
    dstCa = join(tmp, "dst-ca.pem");
    writeFileSync(srcCa, src.caPem);
    writeFileSync(dstCa, dst.caPem);
  }, 60_000);
  afterAll(async () => {
    await stopAll([src, dst]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function login(ca: string, address: string, password: string): Promise<string> {
    const r = await exec(grpcurl!, [
      "-cacert",
      ca,
      "-d",
      JSON.stringify({ user: "admin", password }),
      address,
      "ferry.v1.ControllerService/Login",
    ]);
    expect(r.stderr).toBe("");
    const token = (JSON.parse(r.stdout) as { token: string }).token;
    expect(token).toMatch(/^\S{32,}$/);
    return token;
  }

  it.skipIf(!grpcurlV1Alpha && !inCI)(
    "an older grpcurl that speaks only reflection v1alpha lists and describes the same",
    async () => {
      expect(grpcurlV1Alpha, "grpcurl v1.8.7 missing: .ci/run must go install it").toBeDefined();
      const old = (...args: string[]) => exec(grpcurlV1Alpha!, ["-cacert", srcCa, ...args]);
      // First in this file, so no reflection v1 client has called yet, and
      // none will while this runs.
      expect(callsOf(src, REFLECT_V1)).toBe(0);

      const list = await old(src.address, "list");
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.trim().split("\n")).toEqual(ALL_SERVICES);
      const described = await old(src.address, "describe", "ferry.v1.ControllerService");
      for (const line of leadingComment("ferry/v1/controller.proto", "service ControllerService")) {
        expect(described.stdout).toContain(line);
      }
      const health = await old("-d", "{}", src.address, "grpc.health.v1.Health/Check");
      expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });

      // It really went through v1alpha (one reflection stream per run), and
      // never asked for v1.
      await eventually(() => callsOf(src, REFLECT_V1ALPHA) >= 3);
      expect(callsOf(src, REFLECT_V1ALPHA)).toBeGreaterThanOrEqual(3);
      expect(callsOf(src, REFLECT_V1)).toBe(0);
    },
    60_000,
  );

  it("lists every service through reflection v1", async () => {
    const r = await g(src.address, "list");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(ALL_SERVICES);
    await eventually(() => callsOf(src, REFLECT_V1) > 0);
    expect(callsOf(src, REFLECT_V1)).toBeGreaterThan(0);

    const methods = await g(src.address, "list", "ferry.v1.ModelService");
    expect(methods.stdout.split("\n")).toEqual(
      expect.arrayContaining(["ferry.v1.ModelService.GetStatus", "ferry.v1.ModelService.WatchStatus"]),
    );
  });

  it("describes services, methods and messages with the comments from proto/", async () => {
    const service = await g(src.address, "describe", "ferry.v1.ModelService");
    expect(service.code, service.stderr).toBe(0);
    expect(service.stdout).toContain("ferry.v1.ModelService is a service:");
    for (const line of leadingComment("ferry/v1/model.proto", "service ModelService")) {
      expect(service.stdout).toContain(line);
    }
    expect(service.stdout).toMatch(
      /rpc WatchStatus \( \.ferry\.v1\.WatchStatusRequest \) returns \( stream \.ferry\.v1\.WatchStatusResponse \);/,
    );

    const message = await g(src.address, "describe", "ferry.v1.ModelRedirect");
    expect(message.stdout).toContain("ferry.v1.ModelRedirect is a message:");
    for (const line of leadingComment("ferry/v1/errors.proto", "message ModelRedirect")) {
      expect(message.stdout).toContain(line);
    }
    expect(message.stdout).toMatch(/string ca_fingerprint = 8;/);
    expect(message.stdout).toContain("// SHA-256 fingerprint of that CA certificate's DER bytes");
  });

  it("is refused without the controller's CA, or with another controller's", async () => {
    const none = await exec(grpcurl!, [src.address, "list"]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/certificate signed by unknown authority/);
    const wrong = await exec(grpcurl!, ["-cacert", dstCa, src.address, "list"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/certificate signed by unknown authority/);
  });

  it("checks health without a token, for the server and for each service", async () => {
    const server = await g("-d", "{}", src.address, "grpc.health.v1.Health/Check");
    expect(server.code, server.stderr).toBe(0);
    expect(JSON.parse(server.stdout)).toEqual({ status: "SERVING" });
    const model = await g("-d", '{"service":"ferry.v1.ModelService"}', src.address, "grpc.health.v1.Health/Check");
    expect(JSON.parse(model.stdout)).toEqual({ status: "SERVING" });
    const unknown = await g("-d", '{"service":"no.such.Service"}', src.address, "grpc.health.v1.Health/Check");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("Code: NotFound");
  });

  it("logs in, and calls with -H 'authorization: Bearer ...'; without it or with a bad one, UNAUTHENTICATED", async () => {
    const anonymous = await g("-d", '{"model":"admin/web"}', src.address, "ferry.v1.ModelService/GetStatus");
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain("Code: Unauthenticated");
    const forged = await g(
      "-H",
      "authorization: Bearer not-a-token",
      "-d",
      "{}",
      src.address,
      "ferry.v1.ControllerService/WhoAmI",
    );
    expect(forged.stderr).toContain("Code: Unauthenticated");
    const wrongPassword = await g(
      "-d",
      '{"user":"admin","password":"nope"}',
      src.address,
      "ferry.v1.ControllerService/Login",
    );
    expect(wrongPassword.stderr).toContain("Code: Unauthenticated");
    expect(wrongPassword.stderr).not.toContain("nope");

    const token = await login(srcCa, src.address, src.adminPassword);
    const who = await g(
      "-H",
      `authorization: Bearer ${token}`,
      "-d",
      "{}",
      src.address,
      "ferry.v1.ControllerService/WhoAmI",
    );
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toContain('"admin"');
  });

  it("rejects a malformed request with INVALID_ARGUMENT and BadRequest details", async () => {
    const token = await login(srcCa, src.address, src.adminPassword);
    const r = await g(
      "-H",
      `authorization: Bearer ${token}`,
      "-d",
      '{"name":"Not A Valid Name!"}',
      src.address,
      "ferry.v1.ModelService/CreateModel",
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Code: InvalidArgument");
    expect(r.stderr).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(r.stderr).toContain('"field": "name"');
  });

  it("drives the operator's verbs (issue 10): expose, a refused remove-machine with its PreconditionFailure", async () => {
    const token = await login(srcCa, src.address, src.adminPassword);
    const call = (method: string, body: object) =>
      g(
        "-H",
        `authorization: Bearer ${token}`,
        "-d",
        JSON.stringify(body),
        src.address,
        `ferry.v1.ModelService/${method}`,
      );
    expect((await call("CreateModel", { name: "verbs" })).code).toBe(0);
    expect((await call("DeployApplication", { model: "admin/verbs", charm: "postgresql" })).code).toBe(0);
    const exposed = await call("ExposeApplication", { model: "admin/verbs", application: "postgresql" });
    expect(exposed.code, exposed.stderr).toBe(0);
    expect(JSON.parse(exposed.stdout)).toEqual({ changed: true });
    const refused = await call("RemoveMachines", { model: "admin/verbs", machines: ["0"] });
    expect(refused.stderr).toContain("Code: FailedPrecondition");
    expect(refused.stderr).toContain('"reason": "MACHINE_HAS_UNITS"');
    expect(refused.stderr).toContain('"@type": "type.googleapis.com/google.rpc.PreconditionFailure"');
    const removed = await call("RemoveApplication", { model: "admin/verbs", application: "postgresql" });
    expect(JSON.parse(removed.stdout)).toMatchObject({ units: ["postgresql/0"] });
    expect((await call("DeleteModel", { model: "admin/verbs" })).code).toBe(0);
  });

  it("a request over 4 MiB gets RESOURCE_EXHAUSTED, and the controller keeps serving", async () => {
    const token = await login(srcCa, src.address, src.adminPassword);
    const big = await exec(
      grpcurl!,
      [
        "-cacert",
        srcCa,
        "-H",
        `authorization: Bearer ${token}`,
        "-d",
        "@",
        src.address,
        "ferry.v1.ModelService/CreateModel",
      ],
      JSON.stringify({ name: "big", config: { big: "x".repeat(5 << 20) } }),
    );
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain("Code: ResourceExhausted");
    const health = await g("-d", "{}", src.address, "grpc.health.v1.Health/Check");
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
  });

  it("migrates a model with grpcurl alone; the stale call prints the ModelRedirect, which leads to the destination", async () => {
    const token = await login(srcCa, src.address, src.adminPassword);
    const auth = ["-H", `authorization: Bearer ${token}`];
    const call = async (method: string, body: unknown): Promise<Record<string, any>> => {
      const r = await g(...auth, "-d", JSON.stringify(body), src.address, method);
      expect(r.code, `${method}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as Record<string, any>;
    };

    // Fill a model, as in the README's walkthrough.
    const created = await call("ferry.v1.ModelService/CreateModel", { name: "web" });
    const modelUuid = created.model.uuid as string;
    await call("ferry.v1.ModelService/DeployApplication", { model: "admin/web", charm: "postgresql", numUnits: 2 });
    await call("ferry.v1.ModelService/DeployApplication", { model: "admin/web", charm: "wordpress" });
    await call("ferry.v1.ModelService/AddRelation", { model: "admin/web", endpoints: ["wordpress", "postgresql"] });
    const status = await call("ferry.v1.ModelService/GetStatus", { model: "admin/web" });
    expect((status.status.applications as { name: string }[]).map((a) => a.name).sort()).toEqual([
      "postgresql",
      "wordpress",
    ]);
    // StreamStatus, as the README shows it: this small model is one part, the same status.
    const streamed = await call("ferry.v1.ModelService/StreamStatus", { model: "admin/web" });
    expect(streamed.status.model.uuid).toBe(modelUuid);
    expect((streamed.status.applications as { name: string }[]).map((a) => a.name).sort()).toEqual([
      "postgresql",
      "wordpress",
    ]);
    const model = await call("ferry.v1.ModelService/GetModel", { model: "admin/web" });
    expect(model.model.uuid).toBe(modelUuid);

    // The docs' recipe: a migration-scoped token from the destination, then StartMigration.
    const dg = (...args: string[]) => exec(grpcurl!, ["-cacert", dstCa, ...args]);
    const dstToken = await login(dstCa, dst.address, dst.adminPassword);
    const srcInfo = JSON.parse((await g(src.address, "ferry.v1.ControllerService/GetControllerInfo")).stdout);
    const dstInfo = JSON.parse((await dg(dst.address, "ferry.v1.ControllerService/GetControllerInfo")).stdout);
    const minted = await dg(
      "-H",
      `authorization: Bearer ${dstToken}`,
      "-d",
      JSON.stringify({ modelUuid, sourceControllerUuid: srcInfo.controller.uuid }),
      dst.address,
      "ferry.v1.ControllerService/CreateMigrationToken",
    );
    expect(minted.code, minted.stderr).toBe(0);
    const migrationToken = JSON.parse(minted.stdout).token as string;
    const start = await exec(
      grpcurl!,
      ["-cacert", srcCa, ...auth, "-d", "@", src.address, "ferry.v1.MigrationService/StartMigration"],
      JSON.stringify({
        model: "admin/web",
        target: {
          controllerUuid: dstInfo.controller.uuid,
          controllerName: "dst",
          addresses: [dst.address],
          caCert: dst.caPem,
          token: migrationToken,
        },
      }),
    );
    expect(start.code, start.stderr).toBe(0);
    const migrationId = JSON.parse(start.stdout).migration.id as string;
    expect(migrationId).toBe(`${modelUuid}:0`);

    // WatchMigration streams one JSON object per change (the source pauses in
    // each phase here) and ends after DONE. grpcurl prints each message as an
    // indented object; its top-level phase is the one at two levels of indent
    // (phase timings repeat the key deeper).
    const watch = await g(
      ...auth,
      "-d",
      JSON.stringify({ id: migrationId }),
      src.address,
      "ferry.v1.MigrationService/WatchMigration",
    );
    expect(watch.code, watch.stderr).toBe(0);
    const messages = watch.stdout.match(/^ {2}"migration": \{$/gm) ?? [];
    const phases = [...watch.stdout.matchAll(/^ {4}"phase": "MIGRATION_PHASE_([A-Z]+)",?$/gm)].map((m) => m[1]);
    expect(phases).toHaveLength(messages.length);
    expect(messages.length).toBeGreaterThan(1);
    expect(new Set(phases).size).toBeGreaterThan(1);
    expect(phases.at(-1)).toBe("DONE");

    // The stale call: FAILED_PRECONDITION with ErrorInfo and ModelRedirect, printed as JSON.
    const stale = await g(...auth, "-d", '{"model":"admin/web"}', src.address, "ferry.v1.ModelService/GetStatus");
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain("Code: FailedPrecondition");
    expect(stale.stderr).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(stale.stderr).toContain('"reason": "MODEL_MIGRATED"');
    expect(stale.stderr).toContain('"@type": "type.googleapis.com/ferry.v1.ModelRedirect"');
    expect(stale.stderr).toContain('"controllerName": "dst"');

    // -format-error prints the whole google.rpc.Status as one JSON document.
    const structured = await g(
      ...auth,
      "-format-error",
      "-d",
      '{"model":"admin/web"}',
      src.address,
      "ferry.v1.ModelService/GetStatus",
    );
    const st = JSON.parse(structured.stderr) as { code: number; message: string; details: Record<string, any>[] };
    expect(st.code).toBe(9); // FAILED_PRECONDITION
    expect(st.message).toContain('has been migrated to controller "dst"');
    const info = st.details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo")!;
    expect(info.reason).toBe("MODEL_MIGRATED");
    const redirect = st.details.find((d) => d["@type"] === "type.googleapis.com/ferry.v1.ModelRedirect")!;
    expect(redirect).toEqual({
      "@type": "type.googleapis.com/ferry.v1.ModelRedirect",
      modelName: "web",
      modelOwner: "admin",
      modelUuid,
      controllerUuid: dstInfo.controller.uuid,
      controllerName: "dst",
      addresses: [dst.address],
      caCert: dst.caPem,
      caFingerprint: new X509Certificate(dst.caPem).fingerprint256,
      migrationId,
    });

    // The v1alpha-only grpcurl resolves the detail types too.
    if (grpcurlV1Alpha) {
      const old = await exec(grpcurlV1Alpha, [
        "-cacert",
        srcCa,
        ...auth,
        "-d",
        '{"model":"admin/web"}',
        src.address,
        "ferry.v1.ModelService/GetStatus",
      ]);
      // (v1.8.7 prints each detail as compact JSON.)
      expect(old.stderr).toMatch(/"@type":\s*"type\.googleapis\.com\/ferry\.v1\.ModelRedirect"/);
      expect(old.stderr).toMatch(new RegExp(`"modelUuid":\\s*"${modelUuid}"`));
    }

    // Follow it: trust the CA the redirect carries, call the address it names.
    const redirectCa = join(tmp, "redirect-ca.pem");
    writeFileSync(redirectCa, redirect.caCert as string);
    const there = await exec(grpcurl!, [
      "-cacert",
      redirectCa,
      "-H",
      `authorization: Bearer ${await login(redirectCa, redirect.addresses[0], dst.adminPassword)}`,
      "-d",
      JSON.stringify({ model: modelUuid }),
      redirect.addresses[0],
      "ferry.v1.ModelService/GetStatus",
    ]);
    expect(there.code, there.stderr).toBe(0);
    const moved = JSON.parse(there.stdout).status;
    expect(moved.model.uuid).toBe(modelUuid);
    expect((moved.applications as { name: string }[]).map((a) => a.name).sort()).toEqual(["postgresql", "wordpress"]);
    const keys = (s: { relations: { key: string }[] }) => s.relations.map((r) => r.key).sort();
    expect(keys(moved)).toEqual(keys(status.status));
  }, 120_000);
});

// In CI a missing tool fails rather than skipping.
it.runIf(inCI)("CI has both grpcurls installed", () => {
  expect(grpcurl, "grpcurl missing: .ci/run must go install it").toBeDefined();
  expect(grpcurlV1Alpha, "grpcurl v1.8.7 missing: .ci/run must go install it").toBeDefined();
});
