// Shared fixtures for transport tests: a throwaway PKI, a test-only Echo service
// covering all four RPC kinds, and a real TLS server on 127.0.0.1:0.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, type Message } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ensurePki, type Pki } from "../../src/pki/index.js";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/transport/server.js";
import type { CallRecord } from "../../src/transport/calllog.js";
import { createLogger, type Logger } from "../../src/transport/log.js";

export type EchoRequest = Message<"ferry.test.v1.EchoRequest"> & {
  text: string;
  count: number;
  blob: Uint8Array;
  delayMs: number;
};
export type EchoResponse = Message<"ferry.test.v1.EchoResponse"> & {
  text: string;
  count: number;
  blob: Uint8Array;
};

const S = FieldDescriptorProto_Type.STRING;
const I = FieldDescriptorProto_Type.INT32;
const B = FieldDescriptorProto_Type.BYTES;
const field = (name: string, number: number, type: FieldDescriptorProto_Type, jsonName: string) => ({
  name,
  number,
  type,
  jsonName,
  label: FieldDescriptorProto_Label.OPTIONAL,
});
const method = (name: string, clientStreaming = false, serverStreaming = false) => ({
  name,
  inputType: ".ferry.test.v1.EchoRequest",
  outputType: ".ferry.test.v1.EchoResponse",
  clientStreaming,
  serverStreaming,
});

// Built in code rather than from a .proto so transport tests do not depend on the
// contract protos other people are editing; it still goes through protobuf-es's
// descriptor machinery exactly like generated code does.
const echoFile = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "ferry/test/v1/echo.proto",
    package: "ferry.test.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "EchoRequest",
        field: [
          field("text", 1, S, "text"),
          field("count", 2, I, "count"),
          field("blob", 3, B, "blob"),
          field("delay_ms", 4, I, "delayMs"),
        ],
      },
      {
        name: "EchoResponse",
        field: [field("text", 1, S, "text"), field("count", 2, I, "count"), field("blob", 3, B, "blob")],
      },
    ],
    service: [
      {
        name: "EchoService",
        method: [
          method("Say"),
          method("Count", false, true),
          method("Collect", true, false),
          method("Chat", true, true),
          method("Missing"),
        ],
      },
    ],
  }),
  () => undefined,
);

export const EchoRequestSchema = echoFile.getMessage("ferry.test.v1.EchoRequest") as GenMessage<EchoRequest>;
export const EchoResponseSchema = echoFile.getMessage("ferry.test.v1.EchoResponse") as GenMessage<EchoResponse>;
type Io = { input: typeof EchoRequestSchema; output: typeof EchoResponseSchema };
export const EchoService = echoFile.getService("ferry.test.v1.EchoService") as GenService<{
  say: { methodKind: "unary" } & Io;
  count: { methodKind: "server_streaming" } & Io;
  collect: { methodKind: "client_streaming" } & Io;
  chat: { methodKind: "bidi_streaming" } & Io;
  missing: { methodKind: "unary" } & Io;
}>;

export interface TempPki {
  dir: string;
  pki: Pki;
  cleanup(): Promise<void>;
}

export async function tempPki(): Promise<TempPki> {
  const dir = await mkdtemp(join(tmpdir(), "ferry-transport-"));
  const pki = await ensurePki(dir, { controllerName: "test", hostnames: [] });
  return { dir, pki, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Collects log lines as parsed objects. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: "debug",
    stream: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw };
}

export interface TestServer {
  running: RunningServer;
  pki: TempPki;
  baseUrl: string;
  transport: Transport;
  calls: CallRecord[];
  log: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

/** A real TLS server on a random port, with a connect client transport pinned to its CA. */
export async function startTestServer(opts: Omit<StartServerOptions, "address" | "tls"> = {}): Promise<TestServer> {
  const pki = await tempPki();
  const calls: CallRecord[] = [];
  const log = memoryLogger();
  let running: RunningServer;
  try {
    running = await startServer({
      address: "127.0.0.1:0",
      tls: { certPem: pki.pki.serverCertPem, keyPem: pki.pki.serverKeyPem },
      logger: log.logger,
      onCall: (r) => calls.push(r),
      ...opts,
    });
  } catch (err) {
    await pki.cleanup();
    throw err;
  }
  const baseUrl = `https://127.0.0.1:${running.port}`;
  const transport = createGrpcTransport({ baseUrl, nodeOptions: { ca: pki.pki.caCertPem } });
  return {
    running,
    pki,
    baseUrl,
    transport,
    calls,
    log,
    async close() {
      await running.shutdown(500);
      await pki.cleanup();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until `check` returns true (for effects that land asynchronously on the server). */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(10);
  }
}

/** For `.then(shouldFail, asConnectError)`: a call that was expected to fail but succeeded fails the test. */
export function shouldFail(): never {
  throw new Error("expected the call to fail, but it succeeded");
}
export function asConnectError(e: unknown): ConnectError {
  return ConnectError.from(e);
}
