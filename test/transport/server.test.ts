// startServer's transport choices: TLS by default, plaintext only when asked for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as S } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { startServer } from "../../src/transport/server.js";
import { asConnectError, shouldFail, startTestServer, tempPki, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe("TLS", () => {
  it("serves a client that pins the controller's CA", async () => {
    const health = createClient(Health, t.transport);
    expect((await health.check({})).status).toBe(S.SERVING);
  });

  it("is not reachable with a client that does not trust its CA", async () => {
    const other = await tempPki();
    try {
      const health = createClient(
        Health,
        createGrpcTransport({ baseUrl: t.baseUrl, nodeOptions: { ca: other.pki.caCertPem } }),
      );
      const err = await health.check({}).then(shouldFail, asConnectError);
      // connect-node reports the TLS verification failure as INTERNAL or UNAVAILABLE
      // depending on where the handshake fails; either way the message names it.
      expect([Code.Internal, Code.Unavailable]).toContain(err.code);
      expect(err.message).toMatch(/certificate/i);
    } finally {
      await other.cleanup();
    }
  });

  it("does not answer plaintext clients", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${t.running.port}` }));
    // Any failure will do (the handshake never completes); succeeding would fail the test.
    await health.check({}, { timeoutMs: 2000 }).then(shouldFail, asConnectError);
  });
});

describe("insecure mode", () => {
  it("must be asked for explicitly", async () => {
    await expect(startServer({ address: "127.0.0.1:0" })).rejects.toThrow(/TLS material is required/);
  });

  it("serves plaintext when asked", async () => {
    const running = await startServer({ address: "127.0.0.1:0", insecure: true });
    try {
      const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${running.port}` }));
      expect((await health.check({})).status).toBe(S.SERVING);
    } finally {
      await running.shutdown(100);
    }
  });
});
