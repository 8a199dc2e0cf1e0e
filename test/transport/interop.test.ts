// Interoperability with the real tools users point at a controller: grpcurl (Go,
// jhump/protoreflect) and buf curl. They must list services, describe them with
// comments, call methods, and print rich error details as JSON via reflection.
//
// grpcurl is looked up in $GRPCURL, ~/go/bin and $PATH. Install it with:
//   GOFLAGS=-mod=mod go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileRegistry, fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serviceRegistration } from "../../src/transport/server.js";
import { findGrpcurl, inCI } from "../helpers/tools.js";
import { EchoService, startTestServer } from "./helpers.js";

// Async on purpose: the server runs in this process, so a synchronous child
// process call would block the event loop the server needs to answer it.
const run = promisify(execFile);

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const imagePath = join(repoRoot, "gen/ferry.binpb");
const haveImage = existsSync(imagePath);
const bufBin = join(repoRoot, "node_modules/.bin/buf");

const grpcurl = findGrpcurl();

// ferry.v1.ModelRedirect straight from the image, so this test does not depend on
// generated TS for protos that are still being written.
const modelRedirect: DescMessage | undefined = haveImage
  ? createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(imagePath))).getMessage(
      "ferry.v1.ModelRedirect",
    )
  : undefined;

const expectedServices = [
  "ferry.test.v1.EchoService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

async function startInteropServer(reflection?: { v1?: boolean; v1alpha?: boolean }) {
  const t = await startTestServer({
    services: [
      serviceRegistration(EchoService, {
        say() {
          const details: { desc: DescMessage; value: Record<string, unknown> }[] = [
            { desc: ErrorInfoSchema, value: { reason: "MODEL_MIGRATED", domain: "ferry.dev" } },
          ];
          if (modelRedirect) {
            details.push({ desc: modelRedirect, value: { modelName: "prod", controllerName: "target-ctl" } });
          }
          throw new ConnectError("model prod has moved", Code.FailedPrecondition, undefined, details);
        },
      }),
    ],
    descriptorImage: haveImage ? readFileSync(imagePath) : undefined,
    reflection,
  });
  const caFile = join(t.pki.dir, "ca.pem");
  await writeFile(caFile, t.pki.pki.caCertPem);
  return { t, caFile, target: `127.0.0.1:${t.running.port}` };
}

describe.skipIf(!grpcurl)("grpcurl", () => {
  let s: Awaited<ReturnType<typeof startInteropServer>>;
  beforeAll(async () => {
    s = await startInteropServer();
  });
  afterAll(async () => {
    await s?.t.close();
  });
  const g = (...args: string[]) => run(grpcurl!, ["-cacert", s.caFile, ...args], { timeout: 20_000 });

  it("lists the services over TLS", async () => {
    const { stdout } = await g(s.target, "list");
    expect(stdout.trim().split("\n")).toEqual(expectedServices);
  });

  it("describes a service, with comments from the image", async () => {
    const { stdout } = await g(s.target, "describe", "grpc.health.v1.Health");
    expect(stdout).toContain("grpc.health.v1.Health is a service:");
    expect(stdout).toMatch(
      /rpc Check \( \.grpc\.health\.v1\.HealthCheckRequest \) returns \( \.grpc\.health\.v1\.HealthCheckResponse \);/,
    );
    expect(stdout).toMatch(
      /rpc Watch \( \.grpc\.health\.v1\.HealthCheckRequest \) returns \( stream \.grpc\.health\.v1\.HealthCheckResponse \);/,
    );
    if (haveImage) expect(stdout).toContain("The standard gRPC health service.");
  });

  it("describes error detail types", async () => {
    const { stdout } = await g(s.target, "describe", "google.rpc.ErrorInfo");
    expect(stdout).toContain("google.rpc.ErrorInfo is a message:");
    expect(stdout).toMatch(/string reason = 1;/);
  });

  it("calls Health/Check", async () => {
    const { stdout } = await g("-d", '{"service": ""}', s.target, "grpc.health.v1.Health/Check");
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });

  it("prints rich error details as JSON, resolving their types through reflection", async () => {
    const err = await g("-d", "{}", s.target, "ferry.test.v1.EchoService/Say").then(
      () => undefined,
      (e: { code?: number; stdout?: string; stderr?: string }) => e,
    );
    expect(err, "grpcurl should exit non-zero").toBeDefined();
    const out = `${err!.stdout ?? ""}${err!.stderr ?? ""}`;
    expect(out).toContain("Code: FailedPrecondition");
    expect(out).toContain("Message: model prod has moved");
    expect(out).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(out).toContain('"reason": "MODEL_MIGRATED"');
    if (modelRedirect) {
      expect(out).toContain('"@type": "type.googleapis.com/ferry.v1.ModelRedirect"');
      expect(out).toContain('"modelName": "prod"');
    }
  });

  it("falls back to v1alpha reflection when v1 is not served", async () => {
    const alpha = await startInteropServer({ v1: false });
    try {
      const gg = (...args: string[]) => run(grpcurl!, ["-cacert", alpha.caFile, ...args], { timeout: 20_000 });
      const { stdout } = await gg(alpha.target, "list");
      expect(stdout.trim().split("\n")).toEqual(
        expectedServices.filter((n) => n !== "grpc.reflection.v1.ServerReflection"),
      );
      const described = await gg(alpha.target, "describe", "grpc.health.v1.Health.Check");
      expect(described.stdout).toContain("grpc.health.v1.Health.Check is a method:");
      const paths = alpha.t.calls.map((c) => c.method);
      expect(paths).toContain("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
      expect(paths).not.toContain("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
    } finally {
      await alpha.t.close();
    }
  });
});

describe.skipIf(!existsSync(bufBin))("buf curl", () => {
  let s: Awaited<ReturnType<typeof startInteropServer>>;
  beforeAll(async () => {
    s = await startInteropServer();
  });
  afterAll(async () => {
    await s?.t.close();
  });
  const b = (...args: string[]) => run(bufBin, ["curl", "--cacert", s.caFile, ...args], { timeout: 30_000 });

  // buf curl's default protocol is Connect; the port serves it next to gRPC.
  // Reflection rides on whatever protocol is chosen.
  for (const protocol of [undefined, "grpc"]) {
    for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
      const how = protocol ? `--protocol ${protocol}` : "the default protocol (Connect)";
      it(`lists services with ${how} and --reflect-protocol ${reflect}`, async () => {
        const before = s.t.calls.length;
        const { stdout } = await b(
          ...(protocol ? ["--protocol", protocol] : []),
          "--reflect-protocol",
          reflect,
          "--list-services",
          `https://${s.target}`,
        );
        expect(stdout.trim().split("\n").sort()).toEqual(expectedServices);
        const version = reflect === "grpc-v1" ? "v1" : "v1alpha";
        expect(s.t.calls.slice(before).map((c) => c.method)).toContain(
          `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        );
      });
    }
  }

  it("lists services with nothing but --cacert and --list-services", async () => {
    const { stdout } = await b("--list-services", `https://${s.target}`);
    expect(stdout.trim().split("\n").sort()).toEqual(expectedServices);
  });

  for (const protocol of [undefined, "grpc", "grpcweb"]) {
    it(`calls Health/Check with ${protocol ? `--protocol ${protocol}` : "the default protocol (Connect)"}`, async () => {
      const { stdout } = await b(
        ...(protocol ? ["--protocol", protocol] : []),
        "-d",
        "{}",
        `https://${s.target}/grpc.health.v1.Health/Check`,
      );
      expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
    });
  }

  it("prints rich error details over Connect, resolving their types through reflection", async () => {
    const err = await b("-d", "{}", `https://${s.target}/ferry.test.v1.EchoService/Say`).then(
      () => undefined,
      (e: { stdout?: string; stderr?: string }) => e,
    );
    expect(err, "buf curl should exit non-zero").toBeDefined();
    const out = JSON.parse(err!.stderr ?? "") as { code: string; message: string; details: { type: string }[] };
    expect(out.code).toBe("failed_precondition");
    expect(out.message).toBe("model prod has moved");
    expect(out.details.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
    if (modelRedirect) expect(out.details.map((d) => d.type)).toContain("ferry.v1.ModelRedirect");
  });

  it.skipIf(!haveImage)("calls a unary method with --schema and no reflection", async () => {
    const { stdout } = await b("--schema", imagePath, "-d", "{}", `https://${s.target}/grpc.health.v1.Health/Check`);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });
});

// Guard against silently skipping everything: at least buf curl must be runnable here.
it("has at least one interop tool available", () => {
  expect(grpcurl !== undefined || existsSync(bufBin)).toBe(true);
});

// In CI a missing tool is a failure, not a skip: .ci/run installs grpcurl.
it.runIf(inCI)("CI has grpcurl and buf installed", () => {
  expect(grpcurl, "grpcurl missing: .ci/run must go install it").toBeDefined();
  expect(existsSync(bufBin)).toBe(true);
});
