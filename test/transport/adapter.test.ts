import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createContextKey,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { serviceRegistration } from "../../src/transport/server.js";
import { INTERNAL_ERROR_MESSAGE } from "../../src/transport/status.js";
import {
  EchoService,
  asConnectError,
  eventually,
  shouldFail,
  sleep,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const principalKey = createContextKey<string | undefined>(undefined, { description: "principal" });

// What the handlers observed, so tests can assert on server-side effects.
const seen = {
  headers: new Map<string, string | null>(),
  principal: undefined as string | undefined,
  timeoutMs: undefined as number | undefined,
  aborted: [] as string[],
  started: [] as string[],
  url: "",
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
    seen.headers.set("x-test", ctx.requestHeader.get("x-test"));
    seen.headers.set("x-bin-bin", ctx.requestHeader.get("x-bin-bin"));
    seen.principal = ctx.values.get(principalKey);
    seen.timeoutMs = ctx.timeoutMs();
    seen.url = ctx.url;
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
      case "relay": {
        // Already-encoded details, as when relaying another controller's error.
        const err = new ConnectError("relayed", Code.Unavailable);
        err.details = [
          {
            type: "google.rpc.RetryInfo",
            value: toBinary(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: { seconds: 3n } })),
          },
        ];
        throw err;
      }
      case "boom":
        throw new Error("secret database path /var/lib/ferry/db.sqlite");
      case "big":
        return { blob: new Uint8Array(5 * 1024 * 1024) };
      case "slow":
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, req.delayMs);
          ctx.signal.addEventListener("abort", () => clearTimeout(t));
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
    for await (const r of reqs) {
      if (r.text === "first-only") {
        // Stop reading after the first request but keep answering: the response
        // half of the stream must survive the request iterator being abandoned.
        for (let i = 0; i < 3; i++) yield { text: `reply ${i}` };
        return;
      }
      yield { text: `echo ${r.text}` };
    }
  },
};

let t: TestServer;
let client: ReturnType<typeof createClient<typeof EchoService>>;

beforeAll(async () => {
  t = await startTestServer({
    services: [serviceRegistration(EchoService, echoImpl)],
    authenticate: (_method, headers, ctx) => {
      const auth = headers.get("authorization");
      if (auth !== "Bearer good-token") throw new ConnectError("missing or invalid token", Code.Unauthenticated);
      ctx.values.set(principalKey, "alice");
    },
  });
  client = createClient(EchoService, t.transport);
});
afterAll(async () => {
  await t?.close();
});

const auth = { headers: { authorization: "Bearer good-token" } };

describe("unary", () => {
  it("round-trips a message with headers, response headers and trailers", async () => {
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const res = await client.say(
      { text: "bob", count: 41, blob: new Uint8Array([1, 2, 3]) },
      {
        headers: { ...auth.headers, "x-test": "v1", "x-bin-bin": Buffer.from([0, 255]).toString("base64") },
        onHeader: (h) => (header = h),
        onTrailer: (tr) => (trailer = tr),
      },
    );
    expect(res.text).toBe("hello bob");
    expect(res.count).toBe(42);
    expect([...res.blob]).toEqual([1, 2, 3]);
    expect(seen.headers.get("x-test")).toBe("v1");
    expect(seen.headers.get("x-bin-bin")).toBe(Buffer.from([0, 255]).toString("base64"));
    expect(seen.principal).toBe("alice");
    expect(seen.timeoutMs).toBeUndefined();
    expect(seen.url).toBe(`https://127.0.0.1:${t.running.port}/ferry.test.v1.EchoService/Say`);
    expect(header?.get("x-reply")).toBe("h");
    expect(trailer?.get("x-trail")).toBe("t");
  });

  it("answers UNIMPLEMENTED for a method the impl lacks", async () => {
    const err = await client.missing({}, auth).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.Unimplemented);
    expect(err.rawMessage).toBe("ferry.test.v1.EchoService.Missing is not implemented");
  });
});

describe("authenticate hook", () => {
  it("rejects a call without a valid token before the handler runs", async () => {
    seen.principal = "untouched";
    const err = await client.say({ text: "x" }).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toBe("missing or invalid token");
    expect(seen.principal).toBe("untouched");
  });

  it("does not apply to health", async () => {
    const health = createClient(Health, t.transport);
    await expect(health.check({ service: "" })).resolves.toBeTruthy();
  });
});

describe("errors", () => {
  it("carries ConnectError details to a connect client (findDetails)", async () => {
    let trailer: Headers | undefined;
    const err = await client
      .say({ text: "details" }, { ...auth, onTrailer: (tr) => (trailer = tr) })
      .then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("model is busy");
    const [info] = err.findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe("MODEL_MIGRATING");
    expect(info?.domain).toBe("ferry.dev");
    expect(info?.metadata).toEqual({ model: "m1" });
    const [bad] = err.findDetails(BadRequestSchema);
    expect(bad?.fieldViolations[0]?.field).toBe("name");

    // The google.rpc.Status in the trailer repeats the call's code and message.
    const raw = err.metadata.get("grpc-status-details-bin") ?? trailer?.get("grpc-status-details-bin");
    expect(raw).toBeTruthy();
    const status = fromBinary(StatusSchema, Buffer.from(raw!, "base64"));
    expect(status.code).toBe(Code.FailedPrecondition);
    expect(status.message).toBe("model is busy");
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/google.rpc.ErrorInfo",
      "type.googleapis.com/google.rpc.BadRequest",
    ]);
  });

  it("passes already-encoded details through", async () => {
    const err = await client.say({ text: "relay" }, auth).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.Unavailable);
    expect(err.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBe(3n);
  });

  it("turns other errors into a generic INTERNAL and logs them", async () => {
    const err = await client.say({ text: "boom" }, auth).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe(INTERNAL_ERROR_MESSAGE);
    expect(JSON.stringify(err)).not.toContain("db.sqlite");
    expect(String(err.message)).not.toContain("db.sqlite");
    const line = t.log.lines.find((l) => l.msg === "rpc handler failed");
    expect(line?.method).toBe("/ferry.test.v1.EchoService/Say");
    expect(JSON.stringify(line)).toContain("db.sqlite"); // the log has it, the wire does not
  });

  it("answers INVALID_ARGUMENT (not INTERNAL) for a request that does not decode", async () => {
    // A raw grpc-js client, because typed clients cannot send malformed bytes.
    // The TLS name "localhost" (the certificate has it): grpc-js 1.14 sends
    // the target's IP as the TLS server name, which Node.js 26 refuses.
    const raw = new grpc.Client(
      `127.0.0.1:${t.running.port}`,
      grpc.credentials.createSsl(Buffer.from(t.pki.pki.caCertPem)),
      { "grpc.ssl_target_name_override": "localhost" },
    );
    try {
      const md = new grpc.Metadata();
      md.set("authorization", "Bearer good-token");
      const status = await new Promise<grpc.ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest(
          "/ferry.test.v1.EchoService/Say",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0x05, 0x61]), // field 1, length 5, but only 1 byte follows
          md,
          (err) => (err ? resolve(err) : reject(new Error("expected the call to fail"))),
        );
      });
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(/^request is not a valid ferry\.test\.v1\.EchoRequest: /);
      const [bin] = status.metadata.get("grpc-status-details-bin") as Buffer[];
      const info = fromBinary(StatusSchema, bin!).details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
      expect(fromBinary(ErrorInfoSchema, info!.value).reason).toBe("MALFORMED_REQUEST");
    } finally {
      raw.close();
    }
  });

  it("reports a server-stream error with details after the messages sent so far", async () => {
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of client.count({ text: "fail-after-2", count: 5 }, auth)) got.push(m.count);
    })().then(shouldFail, asConnectError);
    expect(got).toEqual([0, 1]);
    expect(err?.code).toBe(Code.Aborted);
    expect(err?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STREAM_BROKE");
  });
});

describe("streaming", () => {
  it("server streaming", async () => {
    const got: number[] = [];
    for await (const m of client.count({ count: 4 }, auth)) got.push(m.count);
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it("client streaming", async () => {
    async function* reqs() {
      for (const text of ["a", "b", "c"]) yield { text };
    }
    const res = await client.collect(reqs(), auth);
    expect(res.text).toBe("a,b,c");
    expect(res.count).toBe(3);
  });

  it("bidi streaming", async () => {
    async function* reqs() {
      for (const text of ["x", "y"]) yield { text };
    }
    const got: string[] = [];
    for await (const m of client.chat(reqs(), auth)) got.push(m.text);
    expect(got).toEqual(["echo x", "echo y"]);
  });

  it("bidi handler that stops reading early can still write", async () => {
    async function* reqs() {
      yield { text: "first-only" };
      await sleep(50);
      yield { text: "ignored" };
    }
    const got: string[] = [];
    for await (const m of client.chat(reqs(), auth)) got.push(m.text);
    expect(got).toEqual(["reply 0", "reply 1", "reply 2"]);
  });
});

describe("limits", () => {
  it("rejects an oversized request with RESOURCE_EXHAUSTED and keeps serving", async () => {
    const err = await client
      .say({ text: "x", blob: new Uint8Array(5 * 1024 * 1024) }, auth)
      .then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.ResourceExhausted);
    const res = await client.say({ text: "after" }, auth);
    expect(res.text).toBe("hello after");
  });

  it("rejects an oversized response with RESOURCE_EXHAUSTED", async () => {
    const err = await client.say({ text: "big" }, auth).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toMatch(/exceeds the 4194304-byte limit/);
    expect(err.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "RESPONSE_TOO_LARGE",
      domain: "ferry.v1",
      metadata: { limit: "4194304" },
    });
  });
});

describe("deadlines and cancellation", () => {
  it("gives the handler the deadline and aborts its signal when it passes", async () => {
    seen.aborted = [];
    const err = await client
      .say({ text: "slow", delayMs: 5000 }, { ...auth, timeoutMs: 300 })
      .then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(seen.timeoutMs).toBeGreaterThan(0);
    expect(seen.timeoutMs).toBeLessThanOrEqual(300);
    // The client's own timer may reset the stream a hair before the server's
    // deadline fires, so the server can see either cause; what matters is that the
    // handler's work is stopped.
    await eventually(() => seen.aborted.some((a) => a === "slow:DeadlineExceeded" || a === "slow:Canceled"));
  });

  it("aborts the handler's signal when the client cancels", async () => {
    seen.aborted = [];
    seen.started = [];
    const ac = new AbortController();
    const call = client.say({ text: "slow", delayMs: 5000 }, { ...auth, signal: ac.signal });
    await eventually(() => seen.started.includes("slow"));
    ac.abort();
    const err = await call.then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.Canceled);
    await eventually(() => seen.aborted.includes("slow:Canceled"));
  });

  it("ends a server stream whose handler ignores the signal when the client cancels", async () => {
    const ac = new AbortController();
    const got: number[] = [];
    const done = (async () => {
      for await (const m of client.count({ text: "hang", count: 1 }, { ...auth, signal: ac.signal })) {
        got.push(m.count);
        ac.abort();
      }
    })().then(shouldFail, asConnectError);
    expect((await done).code).toBe(Code.Canceled);
    expect(got).toEqual([0]);
    await eventually(() => seen.aborted.includes("hang:Canceled"));
  });
});

describe("call log", () => {
  it("records method, code, duration and peer, and never headers", async () => {
    const before = t.calls.length;
    await client.say({ text: "logme" }, { headers: { authorization: "Bearer good-token", "x-secret": "s3cr3t" } });
    await eventually(() => t.calls.length > before);
    const rec = t.calls.at(-1)!;
    expect(rec.method).toBe("/ferry.test.v1.EchoService/Say");
    expect(rec.code).toBe(0);
    expect(rec.status).toBe("OK");
    expect(rec.durationMs).toBeGreaterThanOrEqual(0);
    expect(rec.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(t.calls)).not.toContain("good-token");
    expect(t.log.raw.join("")).not.toContain("good-token");
    expect(t.log.raw.join("")).not.toContain("s3cr3t");
  });

  it("records the time the caller gave the call, only when it set a deadline", async () => {
    const before = t.calls.length;
    await client.say({ text: "no deadline" }, auth);
    await client.say({ text: "with deadline" }, { ...auth, timeoutMs: 5000 });
    await eventually(() => t.calls.length >= before + 2);
    const [none, some] = t.calls.slice(before, before + 2);
    expect(none).not.toHaveProperty("timeoutMs");
    expect(some!.timeoutMs).toBeGreaterThan(4000);
    expect(some!.timeoutMs).toBeLessThanOrEqual(5000);
  });
});
