// The Connect protocol and gRPC-Web on the gRPC port: same services, same
// authentication, limits, errors, call log and shutdown as gRPC, over HTTP/2 and
// (Connect unary and server streams) HTTP/1.1.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import * as http2 from "node:http2";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  ConnectError,
  createClient,
  createContextKey,
  type HandlerContext,
  type ServiceImpl,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as S } from "../../gen/ts/grpc/health/v1/health_pb.js";
import * as v1 from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { createCallTracker } from "../../src/transport/calllog.js";
import { serveConnectProtocol } from "../../src/transport/connect-protocol.js";
import { serverDrainingKey, serviceRegistration, startServer } from "../../src/transport/server.js";
import { INTERNAL_ERROR_MESSAGE } from "../../src/transport/status.js";
import {
  EchoService,
  asConnectError,
  eventually,
  memoryLogger,
  shouldFail,
  sleep,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const run = promisify(execFile);
const principalKey = createContextKey<string | undefined>(undefined, { description: "principal" });

const seen = {
  principal: undefined as string | undefined,
  protocol: "",
  timeoutMs: undefined as number | undefined,
  started: [] as string[],
  aborted: [] as string[],
};

function trackAbort(ctx: HandlerContext, label: string): void {
  ctx.signal.addEventListener("abort", () => {
    const reason = ctx.signal.reason;
    if (reason instanceof ConnectError) seen.aborted.push(`${label}:${Code[reason.code]}`);
  });
}

const echoImpl: Partial<ServiceImpl<typeof EchoService>> = {
  async say(req, ctx) {
    seen.started.push(req.text);
    seen.principal = ctx.values.get(principalKey);
    seen.protocol = ctx.protocolName;
    seen.timeoutMs = ctx.timeoutMs();
    trackAbort(ctx, req.text);
    switch (req.text) {
      case "details":
        throw new ConnectError("model is busy", Code.FailedPrecondition, undefined, [
          {
            desc: ErrorInfoSchema,
            value: { reason: "MODEL_MIGRATING", domain: "ferry.dev", metadata: { model: "m1" } },
          },
          { desc: BadRequestSchema, value: { fieldViolations: [{ field: "name", description: "too short" }] } },
        ]);
      case "boom":
        throw new Error("secret database path /var/lib/ferry/db.sqlite");
      case "big":
        return { blob: new Uint8Array(5 * 1024 * 1024) };
      case "forge":
        // Handlers must not be able to forge protocol headers.
        ctx.responseHeader.set("content-type", "text/plain");
        ctx.responseTrailer.set("grpc-status", "0");
        throw new ConnectError("forged", Code.PermissionDenied, { "content-type": "text/html", "x-kept": "yes" });
      case "slow":
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, req.delayMs);
          ctx.signal.addEventListener("abort", () => clearTimeout(timer));
        });
        ctx.signal.throwIfAborted();
        return { text: "slept" };
    }
    ctx.responseHeader.set("x-reply", "h");
    ctx.responseTrailer.set("x-trail", "t");
    return { text: `hello ${req.text}`, count: req.count + 1, blob: req.blob };
  },
  async *count(req, ctx) {
    for (let i = 0; i < req.count; i++) {
      if (req.text === "fail-after-2" && i === 2) {
        throw new ConnectError("stream broke", Code.Aborted, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "STREAM_BROKE", domain: "ferry.dev" } },
        ]);
      }
      yield { count: i };
    }
    if (req.text === "hang") {
      trackAbort(ctx, "hang");
      await new Promise(() => undefined); // ignores ctx.signal on purpose
    }
  },
  async collect(reqs) {
    const parts: string[] = [];
    for await (const r of reqs) parts.push(r.text);
    return { text: parts.join(","), count: parts.length };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { text: `echo ${r.text}` };
  },
};

let t: TestServer;
let caFile: string;
const transports: Record<string, Transport> = {};

beforeAll(async () => {
  t = await startTestServer({
    services: [serviceRegistration(EchoService, echoImpl)],
    authenticate: (_method, headers, ctx) => {
      if (headers.get("authorization") !== "Bearer good-token") {
        throw new ConnectError("missing or invalid token", Code.Unauthenticated);
      }
      ctx.values.set(principalKey, "alice");
    },
  });
  const nodeOptions = { ca: t.pki.pki.caCertPem };
  transports["connect (HTTP/2)"] = createConnectTransport({ httpVersion: "2", baseUrl: t.baseUrl, nodeOptions });
  transports["connect (HTTP/1.1)"] = createConnectTransport({ httpVersion: "1.1", baseUrl: t.baseUrl, nodeOptions });
  transports["connect JSON (HTTP/2)"] = createConnectTransport({
    httpVersion: "2",
    baseUrl: t.baseUrl,
    nodeOptions,
    useBinaryFormat: false,
  });
  transports["gRPC-Web (HTTP/2)"] = createGrpcWebTransport({ httpVersion: "2", baseUrl: t.baseUrl, nodeOptions });
  caFile = `${t.pki.dir}/ca.pem`;
  await writeFile(caFile, t.pki.pki.caCertPem);
});
afterAll(async () => {
  await t?.close();
});

const auth = { headers: { authorization: "Bearer good-token" } };

for (const name of ["connect (HTTP/2)", "connect (HTTP/1.1)", "connect JSON (HTTP/2)", "gRPC-Web (HTTP/2)"]) {
  const http1 = name.includes("HTTP/1.1");
  describe(name, () => {
    const echo = () => createClient(EchoService, transports[name]!);

    it("round-trips a unary call with the principal, response headers and trailers", async () => {
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      const res = await echo().say(
        { text: "bob", count: 41, blob: new Uint8Array([1, 2, 3]) },
        { ...auth, onHeader: (h) => (header = h), onTrailer: (tr) => (trailer = tr) },
      );
      expect(res.text).toBe("hello bob");
      expect(res.count).toBe(42);
      expect([...res.blob]).toEqual([1, 2, 3]);
      expect(seen.principal).toBe("alice");
      expect(seen.protocol).toBe(name.startsWith("gRPC-Web") ? "grpc-web" : "connect");
      expect(header?.get("x-reply")).toBe("h");
      expect(trailer?.get("x-trail")).toBe("t");
    });

    it("runs the authenticate hook: no token is UNAUTHENTICATED, before the handler runs", async () => {
      seen.started = [];
      const err = await echo().say({ text: "no-token" }).then(shouldFail, asConnectError);
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe("missing or invalid token");
      expect(seen.started).toEqual([]);
    });

    it("carries error details (findDetails)", async () => {
      const err = await echo().say({ text: "details" }, auth).then(shouldFail, asConnectError);
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.rawMessage).toBe("model is busy");
      const [info] = err.findDetails(ErrorInfoSchema);
      expect(info?.reason).toBe("MODEL_MIGRATING");
      expect(info?.metadata).toEqual({ model: "m1" });
      expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("name");
    });

    it("turns other errors into a generic INTERNAL", async () => {
      const err = await echo().say({ text: "boom" }, auth).then(shouldFail, asConnectError);
      expect(err.code).toBe(Code.Internal);
      expect(err.rawMessage).toBe(INTERNAL_ERROR_MESSAGE);
      expect(JSON.stringify(err)).not.toContain("db.sqlite");
    });

    it("keeps protocol headers out of the handler's reach", async () => {
      const err = await echo().say({ text: "forge" }, auth).then(shouldFail, asConnectError);
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.metadata.get("x-kept")).toBe("yes");
    });

    it("answers UNIMPLEMENTED for a method the impl lacks", async () => {
      const missing = await echo().missing({}, auth).then(shouldFail, asConnectError);
      expect(missing.code).toBe(Code.Unimplemented);
      expect(missing.rawMessage).toBe("ferry.test.v1.EchoService.Missing is not implemented");
    });

    // Reflection is a bidi stream: HTTP/2 only.
    it.skipIf(http1)("serves reflection", async () => {
      const reflection = createClient(v1.ServerReflection, transports[name]!);
      async function* reqs() {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
      }
      for await (const res of reflection.serverReflectionInfo(reqs())) {
        expect(res.messageResponse.case).toBe("listServicesResponse");
        if (res.messageResponse.case === "listServicesResponse") {
          expect(res.messageResponse.value.service.map((s) => s.name)).toContain("ferry.test.v1.EchoService");
        }
      }
    });

    it("serves health without a token", async () => {
      const health = createClient(Health, transports[name]!);
      expect((await health.check({})).status).toBe(S.SERVING);
    });

    it("server streaming, with an error and details after the messages sent so far", async () => {
      const got: number[] = [];
      for await (const m of echo().count({ count: 3 }, auth)) got.push(m.count);
      expect(got).toEqual([0, 1, 2]);
      const partial: number[] = [];
      const err = await (async () => {
        for await (const m of echo().count({ text: "fail-after-2", count: 5 }, auth)) partial.push(m.count);
      })().then(shouldFail, asConnectError);
      expect(partial).toEqual([0, 1]);
      expect(err.code).toBe(Code.Aborted);
      expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STREAM_BROKE");
    });

    it.skipIf(http1)("client and bidi streaming", async () => {
      async function* reqs() {
        for (const text of ["a", "b", "c"]) yield { text };
      }
      const res = await echo().collect(reqs(), auth);
      expect(res.text).toBe("a,b,c");
      const got: string[] = [];
      for await (const m of echo().chat(reqs(), auth)) got.push(m.text);
      expect(got).toEqual(["echo a", "echo b", "echo c"]);
    });

    it("rejects an oversized request and an oversized response with RESOURCE_EXHAUSTED", async () => {
      const big = new Uint8Array(5 * 1024 * 1024);
      const req = await echo().say({ text: "x", blob: big }, auth).then(shouldFail, asConnectError);
      expect(req.code).toBe(Code.ResourceExhausted);
      const res = await echo().say({ text: "big" }, auth).then(shouldFail, asConnectError);
      expect(res.code, res.message).toBe(Code.ResourceExhausted);
      expect((await echo().say({ text: "after" }, auth)).text).toBe("hello after");
    });

    it("honours the deadline", async () => {
      seen.aborted = [];
      const err = await echo()
        .say({ text: "slow", delayMs: 5000 }, { ...auth, timeoutMs: 300 })
        .then(shouldFail, asConnectError);
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(seen.timeoutMs).toBeGreaterThan(0);
      expect(seen.timeoutMs).toBeLessThanOrEqual(300);
      await eventually(() => seen.aborted.some((a) => a === "slow:DeadlineExceeded" || a === "slow:Canceled"));
    });

    it("ends a server stream whose handler ignores the signal when the client cancels", async () => {
      seen.aborted = [];
      const ac = new AbortController();
      const done = (async () => {
        for await (const _ of echo().count({ text: "hang", count: 1 }, { ...auth, signal: ac.signal })) ac.abort();
      })().then(shouldFail, asConnectError);
      expect((await done).code).toBe(Code.Canceled);
      await eventually(() => seen.aborted.includes("hang:Canceled"));
    });
  });
}

describe("call log", () => {
  it("records Connect calls like gRPC ones: method, code, duration, peer, never headers", async () => {
    const echo = createClient(EchoService, transports["connect (HTTP/2)"]!);
    const mark = t.calls.length;
    await echo.say({ text: "logme" }, { headers: { authorization: "Bearer good-token", "x-secret": "s3cr3t" } });
    await echo.say({ text: "nope" }).catch(() => undefined);
    await echo.say({ text: "details" }, auth).catch(() => undefined);
    await eventually(() => t.calls.length >= mark + 3);
    const recs = t.calls.slice(mark, mark + 3);
    expect(recs.map((r) => [r.method, r.status])).toEqual([
      ["/ferry.test.v1.EchoService/Say", "OK"],
      ["/ferry.test.v1.EchoService/Say", "UNAUTHENTICATED"],
      ["/ferry.test.v1.EchoService/Say", "FAILED_PRECONDITION"],
    ]);
    expect(recs[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(recs[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(t.calls)).not.toContain("good-token");
    expect(t.log.raw.join("")).not.toContain("s3cr3t");
  });

  it("records the caller's deadline from connect-timeout-ms and from grpc-timeout (gRPC-Web)", async () => {
    const mark = t.calls.length;
    await createClient(EchoService, transports["connect (HTTP/2)"]!).say({ text: "x" }, { ...auth, timeoutMs: 7000 });
    await createClient(EchoService, transports["gRPC-Web (HTTP/2)"]!).say({ text: "x" }, { ...auth, timeoutMs: 9000 });
    await eventually(() => t.calls.length >= mark + 2);
    const [connect, web] = t.calls.slice(mark, mark + 2);
    expect(connect!.timeoutMs).toBeGreaterThan(6000);
    expect(connect!.timeoutMs).toBeLessThanOrEqual(7000);
    expect(web!.timeoutMs).toBeGreaterThan(8000);
    expect(web!.timeoutMs).toBeLessThanOrEqual(9000);
  });

  it("records stream statuses from the end of the stream, for Connect and gRPC-Web", async () => {
    for (const name of ["connect (HTTP/2)", "gRPC-Web (HTTP/2)", "connect (HTTP/1.1)"]) {
      const echo = createClient(EchoService, transports[name]!);
      const mark = t.calls.length;
      for await (const _ of echo.count({ count: 2 }, auth)) {
        // drain
      }
      await (async () => {
        for await (const _ of echo.count({ text: "fail-after-2", count: 5 }, auth)) {
          // drain
        }
      })().catch(() => undefined);
      await echo.say({ text: "x", blob: new Uint8Array(5 * 1024 * 1024) }, auth).catch(() => undefined);
      await eventually(() => t.calls.length >= mark + 3);
      expect(
        t.calls.slice(mark, mark + 3).map((r) => r.status),
        name,
      ).toEqual(["OK", "ABORTED", "RESOURCE_EXHAUSTED"]);
    }
  });

  it("answers and records an unknown path as UNIMPLEMENTED", async () => {
    const mark = t.calls.length;
    const res = await h2Request("/no.Such/Method", { "content-type": "application/json" }, "{}");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ code: "unimplemented" });
    const web = await h2Request("/no.Such/Method", { "content-type": "application/grpc-web+proto" }, "");
    expect(web.status).toBe(200);
    expect(web.headers["grpc-status"]).toBe(String(Code.Unimplemented));
    await eventually(() => t.calls.length >= mark + 2);
    expect(t.calls.slice(mark, mark + 2)).toMatchObject([
      { method: "/no.Such/Method", status: "UNIMPLEMENTED" },
      { method: "/no.Such/Method", status: "UNIMPLEMENTED" },
    ]);
  });
});

/** A raw HTTP/2 request, for what typed clients cannot send. */
async function h2Request(
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  const session = http2.connect(t.baseUrl, { ca: t.pki.pki.caCertPem });
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const req = session.request({ ":method": "POST", ":path": path, ...headers });
      let status = 0;
      let resHeaders: http2.IncomingHttpHeaders = {};
      let data = "";
      req.on("response", (h) => {
        status = Number(h[":status"]);
        resHeaders = h;
      });
      req.setEncoding("utf8");
      req.on("data", (c: string) => (data += c));
      req.on("end", () => resolve({ status, headers: resHeaders, body: data }));
      req.on("error", reject);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

describe("gRPC side by side", () => {
  it("still serves gRPC on the same port, including over a connection used for Connect", async () => {
    const grpcEcho = createClient(EchoService, t.transport);
    const connectEcho = createClient(EchoService, transports["connect (HTTP/2)"]!);
    const [a, b] = await Promise.all([grpcEcho.say({ text: "g" }, auth), connectEcho.say({ text: "c" }, auth)]);
    expect([a.text, b.text]).toEqual(["hello g", "hello c"]);
    // One HTTP/2 connection, both protocols.
    const session = http2.connect(t.baseUrl, { ca: t.pki.pki.caCertPem });
    try {
      const ask = (contentType: string) =>
        new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
          const req = session.request({
            ":method": "POST",
            ":path": "/grpc.health.v1.Health/Check",
            "content-type": contentType,
            te: "trailers",
          });
          req.on("response", resolve);
          req.on("error", reject);
          req.resume();
          // An empty HealthCheckRequest: a 5-byte gRPC frame, or an empty JSON object.
          req.end(contentType === "application/grpc" ? Buffer.alloc(5) : "{}");
        });
      expect((await ask("application/grpc"))["content-type"]).toBe("application/grpc+proto");
      expect((await ask("application/json"))["content-type"]).toBe("application/json");
    } finally {
      session.close();
    }
  });
});

const curl = await run("curl", ["--version"]).then(
  () => true,
  () => false,
);

describe.skipIf(!curl)("plain curl", () => {
  for (const version of ["--http2", "--http1.1"]) {
    it(`calls Health/Check with JSON over ${version}`, async () => {
      const { stdout } = await run(
        "curl",
        [
          "-sS",
          version,
          "--cacert",
          caFile,
          "-H",
          "content-type: application/json",
          "-d",
          "{}",
          "-w",
          "\n%{http_version} %{http_code}",
          `${t.baseUrl}/grpc.health.v1.Health/Check`,
        ],
        { timeout: 20_000 },
      );
      const [body, status] = stdout.split("\n");
      expect(JSON.parse(body!)).toEqual({ status: "SERVING" });
      expect(status).toBe(version === "--http2" ? "2 200" : "1.1 200");
    });
  }

  it("gets a Connect JSON error for an unauthenticated call", async () => {
    const { stdout } = await run(
      "curl",
      ["-sS", "--cacert", caFile, "-H", "content-type: application/json", "-d", "{}", "-w", "\n%{http_code}"].concat(
        `${t.baseUrl}/ferry.test.v1.EchoService/Say`,
      ),
      { timeout: 20_000 },
    );
    const [body, status] = stdout.split("\n");
    expect(status).toBe("401");
    expect(JSON.parse(body!)).toEqual({ code: "unauthenticated", message: "missing or invalid token" });
  });
});

describe("shutdown", () => {
  it("ends a Connect health watch on drain and lets an in-flight Connect call finish", async () => {
    let running = 0;
    const s = await startTestServer({
      services: [
        serviceRegistration(EchoService, {
          async say(req) {
            running++;
            await sleep(req.delayMs);
            return { text: "finished" };
          },
        }),
      ],
    });
    try {
      const transport = createConnectTransport({
        httpVersion: "2",
        baseUrl: s.baseUrl,
        nodeOptions: { ca: s.pki.pki.caCertPem },
      });
      const h1 = createConnectTransport({
        httpVersion: "1.1",
        baseUrl: s.baseUrl,
        nodeOptions: { ca: s.pki.pki.caCertPem },
      });
      // An idle HTTP/1.1 keep-alive connection must not hold shutdown either.
      expect((await createClient(Health, h1).check({})).status).toBe(S.SERVING);
      const statuses: S[] = [];
      const watching = (async () => {
        for await (const res of createClient(Health, transport).watch({ service: "" })) statuses.push(res.status);
      })().then(shouldFail, asConnectError);
      await eventually(() => statuses.length === 1);
      const inflight = createClient(EchoService, transport).say({ delayMs: 300 });
      const slowH1 = createClient(EchoService, h1).say({ delayMs: 300 });
      await eventually(() => running === 2); // both in flight: their handlers are running
      const started = performance.now();
      await s.running.shutdown(5000);
      expect(performance.now() - started).toBeLessThan(2000);
      expect((await inflight).text).toBe("finished");
      expect((await slowH1).text).toBe("finished");
      expect((await watching).code).toBe(Code.Unavailable);
      expect(statuses).toEqual([S.SERVING, S.NOT_SERVING]);
    } finally {
      await s.close();
    }
  });

  it("cancels Connect calls still running after the grace period", async () => {
    let handlerAbort: unknown;
    let drainedSeen = false;
    let running = false;
    const s = await startTestServer({
      services: [
        serviceRegistration(EchoService, {
          async say(_req, ctx) {
            running = true;
            ctx.values.get(serverDrainingKey).addEventListener("abort", () => (drainedSeen = true));
            await new Promise<void>((resolve) =>
              ctx.signal.addEventListener("abort", () => {
                handlerAbort = ctx.signal.reason;
                resolve();
              }),
            );
            return {};
          },
        }),
      ],
    });
    try {
      const transport = createConnectTransport({
        httpVersion: "2",
        baseUrl: s.baseUrl,
        nodeOptions: { ca: s.pki.pki.caCertPem },
      });
      const inflight = createClient(EchoService, transport).say({}).then(shouldFail, asConnectError);
      await eventually(() => running);
      const started = performance.now();
      await s.running.shutdown(200);
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(2000);
      expect(drainedSeen).toBe(true);
      expect(String(handlerAbort)).toMatch(/shutting down/);
      expect((await inflight).code).toBe(Code.Unavailable);
    } finally {
      await s.close();
    }
  });
});

describe("insecure (plaintext debug) mode", () => {
  it("serves Connect over h2c next to gRPC", async () => {
    const running = await startServer({ address: "127.0.0.1:0", insecure: true });
    try {
      const baseUrl = `http://127.0.0.1:${running.port}`;
      const connect = createClient(Health, createConnectTransport({ httpVersion: "2", baseUrl }));
      expect((await connect.check({})).status).toBe(S.SERVING);
      const grpcHealth = createClient(Health, createGrpcTransport({ baseUrl }));
      expect((await grpcHealth.check({})).status).toBe(S.SERVING);
    } finally {
      await running.shutdown(100);
    }
  });
});

describe("when grpc-js internals are not as expected", () => {
  it("warns and serves gRPC only", async () => {
    const s = await startTestServer({ connectProtocol: false });
    const { logger, lines } = memoryLogger();
    const internals = s.running.server as unknown as { http2Servers: unknown };
    const saved = internals.http2Servers;
    try {
      // As if a grpc-js release renamed its private map (grpc-js itself needs it back).
      internals.http2Servers = undefined;
      const tracker = createCallTracker(() => undefined);
      expect(serveConnectProtocol(s.running.server, { mounts: [], logger, tracker })).toBeUndefined();
      internals.http2Servers = saved;
      expect(lines.map((l) => l.msg)).toContain(
        "cannot hook the Connect protocol into grpc-js (internals changed?); serving gRPC only",
      );
      expect((await createClient(Health, s.transport).check({})).status).toBe(S.SERVING);
    } finally {
      internals.http2Servers = saved;
      await s.close();
    }
  });
});

describe("options", () => {
  it("can be turned off: then only gRPC is served", async () => {
    const s = await startTestServer({ connectProtocol: false });
    try {
      const health = createClient(
        Health,
        createConnectTransport({ httpVersion: "2", baseUrl: s.baseUrl, nodeOptions: { ca: s.pki.pki.caCertPem } }),
      );
      await health.check({}).then(shouldFail, asConnectError);
      expect((await createClient(Health, s.transport).check({})).status).toBe(S.SERVING);
    } finally {
      await s.close();
    }
  });

  it("can be kept HTTP/2-only", async () => {
    const s = await startTestServer({ connectProtocol: { http1: false } });
    try {
      const opts = { baseUrl: s.baseUrl, nodeOptions: { ca: s.pki.pki.caCertPem } };
      const h2 = createClient(Health, createConnectTransport({ ...opts, httpVersion: "2" }));
      expect((await h2.check({})).status).toBe(S.SERVING);
      const h1 = createClient(Health, createConnectTransport({ ...opts, httpVersion: "1.1" }));
      await h1.check({}).then(shouldFail, asConnectError);
    } finally {
      await s.close();
    }
  });
});
