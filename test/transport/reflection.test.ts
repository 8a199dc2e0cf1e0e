// Reflection driven from TypeScript through typed connect clients, v1 and v1alpha.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, createFileRegistry, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import * as v1 from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.js";
import { DescriptorIndex } from "../../src/transport/descriptors.js";
import { serviceRegistration } from "../../src/transport/server.js";
import { EchoService, eventually, startTestServer, type TestServer } from "./helpers.js";

const imagePath = fileURLToPath(new URL("../../gen/ferry.binpb", import.meta.url));
const haveImage = existsSync(imagePath);

type RequestInit = MessageInitShape<typeof v1.ServerReflectionRequestSchema>;

/** Send `requests` on one reflection stream and collect the answers. */
async function exchange(
  version: "v1" | "v1alpha",
  transport: Transport,
  requests: RequestInit[],
): Promise<v1.ServerReflectionResponse[]> {
  // The v1alpha client is typed as v1 (the messages are field-for-field identical),
  // but it serializes with the v1alpha schemas and calls the v1alpha method path.
  const service = (version === "v1" ? v1.ServerReflection : v1alpha.ServerReflection) as typeof v1.ServerReflection;
  const client = createClient(service, transport);
  async function* reqs() {
    for (const r of requests) yield r;
  }
  const out: v1.ServerReflectionResponse[] = [];
  for await (const res of client.serverReflectionInfo(reqs())) out.push(res);
  return out;
}

function decodeFiles(res: v1.ServerReflectionResponse): FileDescriptorProto[] {
  if (res.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${res.messageResponse.case}: ${JSON.stringify(res.messageResponse.value)}`);
  }
  return res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

/** createFileRegistry wants imports before importers; reflection answers requested-file-first. */
function importsFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const out: FileDescriptorProto[] = [];
  const visit = (f: FileDescriptorProto | undefined) => {
    if (!f || out.includes(f)) return;
    f.dependency.forEach((d) => visit(byName.get(d)));
    out.push(f);
  };
  files.forEach(visit);
  return out;
}

const commonSymbols = [
  "grpc.health.v1.Health",
  "grpc.health.v1.Health.Check",
  "grpc.health.v1.HealthCheckResponse",
  "grpc.health.v1.HealthCheckResponse.ServingStatus",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo",
  "google.rpc.Status",
  "google.rpc.ErrorInfo",
  "google.rpc.BadRequest",
  "google.rpc.BadRequest.FieldViolation",
  "google.rpc.PreconditionFailure",
  "google.rpc.PreconditionFailure.Violation",
  "google.rpc.RetryInfo",
  "ferry.test.v1.EchoService",
  "ferry.test.v1.EchoService.Chat",
  "ferry.test.v1.EchoRequest",
];

for (const withImage of [false, true]) {
  describe.skipIf(withImage && !haveImage)(
    `reflection ${withImage ? "with the buf image" : "from embedded descriptors"}`,
    () => {
      let t: TestServer;
      beforeAll(async () => {
        t = await startTestServer({
          services: [serviceRegistration(EchoService, {})],
          descriptorImage: withImage ? readFileSync(imagePath) : undefined,
        });
      });
      afterAll(async () => {
        await t?.close();
      });

      for (const version of ["v1", "v1alpha"] as const) {
        describe(version, () => {
          it("lists exactly the registered services plus health and reflection", async () => {
            const [res] = await exchange(version, t.transport, [
              { host: "h", messageRequest: { case: "listServices", value: "*" } },
            ]);
            expect(res!.$typeName).toBe(`grpc.reflection.${version}.ServerReflectionResponse`);
            expect(res!.validHost).toBe("h");
            expect(res!.originalRequest?.messageRequest.case).toBe("listServices");
            if (res!.messageResponse.case !== "listServicesResponse") throw new Error("wrong response");
            expect(res!.messageResponse.value.service.map((s) => s.name)).toEqual([
              "ferry.test.v1.EchoService",
              "grpc.health.v1.Health",
              "grpc.reflection.v1.ServerReflection",
              "grpc.reflection.v1alpha.ServerReflection",
            ]);
          });

          const symbols = withImage ? [...commonSymbols, "ferry.v1.ModelRedirect"] : commonSymbols;
          it("resolves every symbol a client may meet, with the file's full dependency closure", async () => {
            const answers = await exchange(
              version,
              t.transport,
              symbols.map((s) => ({ messageRequest: { case: "fileContainingSymbol" as const, value: s } })),
            );
            expect(answers).toHaveLength(symbols.length);
            answers.forEach((res, i) => {
              const symbol = symbols[i]!;
              expect(res.originalRequest?.messageRequest.value).toBe(symbol);
              const files = decodeFiles(res);
              // The answer alone must be enough to build descriptors (what grpcurl does).
              const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: importsFirst(files) }));
              const parent = symbol.slice(0, symbol.lastIndexOf("."));
              const member = symbol.slice(symbol.lastIndexOf(".") + 1);
              const found =
                registry.get(symbol) ??
                (() => {
                  const svc = registry.getService(parent);
                  return svc?.methods.find((m) => m.name === member);
                })();
              expect(found, symbol).toBeDefined();
              expect(registry.getFile(files[0]!.name)).toBeDefined();
            });
          });

          it("answers file_by_filename with the file first and its imports after", async () => {
            const [res] = await exchange(version, t.transport, [
              { messageRequest: { case: "fileByFilename", value: "google/rpc/error_details.proto" } },
            ]);
            const names = decodeFiles(res!).map((f) => f.name);
            expect(names[0]).toBe("google/rpc/error_details.proto");
            expect(names).toContain("google/protobuf/duration.proto");
            expect(new Set(names).size).toBe(names.length);
          });

          it("answers NOT_FOUND for unknown symbols, files and extensions, and lists no extensions", async () => {
            const answers = await exchange(version, t.transport, [
              { messageRequest: { case: "fileContainingSymbol", value: "no.such.Symbol" } },
              { messageRequest: { case: "fileByFilename", value: "no/such.proto" } },
              {
                messageRequest: {
                  case: "fileContainingExtension",
                  value: { containingType: "google.rpc.ErrorInfo", extensionNumber: 1000 },
                },
              },
              { messageRequest: { case: "allExtensionNumbersOfType", value: "google.rpc.ErrorInfo" } },
              { messageRequest: { case: "allExtensionNumbersOfType", value: "no.such.Type" } },
              {},
            ]);
            const kinds = answers.map((a) => a.messageResponse.case);
            expect(kinds).toEqual([
              "errorResponse",
              "errorResponse",
              "errorResponse",
              "allExtensionNumbersResponse",
              "errorResponse",
              "errorResponse",
            ]);
            const codes = answers.map((a) =>
              a.messageResponse.case === "errorResponse" ? a.messageResponse.value.errorCode : 0,
            );
            expect(codes).toEqual([
              Code.NotFound,
              Code.NotFound,
              Code.NotFound,
              0,
              Code.NotFound,
              Code.InvalidArgument,
            ]);
            const ext = answers[3]!.messageResponse;
            if (ext.case !== "allExtensionNumbersResponse") throw new Error("wrong response");
            expect(ext.value.baseTypeName).toBe("google.rpc.ErrorInfo");
            expect(ext.value.extensionNumber).toEqual([]);
          });

          it.runIf(withImage)("serves the image's source info, so comments reach clients", async () => {
            const [res] = await exchange(version, t.transport, [
              { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.Health" } },
            ]);
            const health = decodeFiles(res!)[0]!;
            const comments = health.sourceCodeInfo?.location.map((l) => l.leadingComments).join("\n") ?? "";
            expect(comments).toContain("The standard gRPC health service.");
          });
        });
      }
    },
  );
}

describe("reflection during shutdown", () => {
  it("ends an idle open reflection stream when the server drains, instead of holding shutdown", async () => {
    const t = await startTestServer();
    try {
      const client = createClient(v1.ServerReflection, t.transport);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      async function* reqs() {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
        await held; // keep the request side open, like an interactive tool would
      }
      const answers: string[] = [];
      const reading = (async () => {
        for await (const res of client.serverReflectionInfo(reqs())) answers.push(res.messageResponse.case ?? "");
      })();
      await eventually(() => answers.length === 1);
      const started = performance.now();
      await t.running.shutdown(5000);
      expect(performance.now() - started).toBeLessThan(2000);
      await reading; // ends cleanly (OK status)
      expect(answers).toEqual(["listServicesResponse"]);
      release();
    } finally {
      await t.close();
    }
  });
});

describe("DescriptorIndex", () => {
  it("falls back to embedded descriptors and resolves nested members", () => {
    const index = new DescriptorIndex({ files: [file_google_rpc_error_details] });
    expect(index.fileNames.sort()).toEqual(["google/protobuf/duration.proto", "google/rpc/error_details.proto"]);
    expect(index.fileContainingSymbol(".google.rpc.Help.Link")).toHaveLength(2);
    expect(index.fileContainingSymbol("google.rpc.ErrorInfo.reason")).toHaveLength(2);
    expect(index.fileContainingSymbol("google.rpc.ErrorInfo.nope")).toBeUndefined();
    expect(index.hasService("grpc.health.v1.Health")).toBe(false);
  });

  it("rejects an image with a missing import at construction", () => {
    const broken = create(FileDescriptorSetSchema, {
      file: [{ name: "a.proto", package: "a", dependency: ["missing.proto"], syntax: "proto3" }],
    });
    expect(() => new DescriptorIndex({ image: toBinary(FileDescriptorSetSchema, broken) })).toThrow(/missing\.proto/);
  });

  it.runIf(haveImage)("prefers the image's copy of a file over the embedded one", () => {
    const index = new DescriptorIndex({ image: readFileSync(imagePath), files: [file_google_rpc_error_details] });
    const [first] = index.fileByName("google/rpc/error_details.proto")!;
    expect(fromBinary(FileDescriptorProtoSchema, first!).sourceCodeInfo).toBeDefined();
  });
});
