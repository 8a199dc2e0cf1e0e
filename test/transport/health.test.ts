import { afterEach, describe, expect, it } from "vitest";
import { Code, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as S } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { HealthState } from "../../src/transport/health.js";
import { serverDrainingKey, serviceRegistration } from "../../src/transport/server.js";
import {
  EchoService,
  asConnectError,
  eventually,
  shouldFail,
  sleep,
  startTestServer,
  type TestServer,
} from "./helpers.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("HealthState", () => {
  it("freezes at NOT_SERVING once shut down", () => {
    const h = new HealthState();
    h.set("svc", S.SERVING);
    const v = h.version;
    h.shutdown();
    expect(h.version).toBeGreaterThan(v);
    expect(h.get("")).toBe(S.NOT_SERVING);
    expect(h.get("svc")).toBe(S.NOT_SERVING);
    h.set("svc", S.SERVING);
    expect(h.get("svc")).toBe(S.NOT_SERVING);
  });

  it("changedSince resolves on a change and rejects on abort", async () => {
    const h = new HealthState();
    const ac = new AbortController();
    const waiting = h.changedSince(h.version, ac.signal);
    h.set("x", S.SERVING);
    await expect(waiting).resolves.toBeUndefined();
    const aborted = h.changedSince(h.version, ac.signal);
    ac.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
  });
});

describe("grpc.health.v1.Health over TLS", () => {
  it("Check reports the server, registered services, and NOT_FOUND for unknown ones", async () => {
    t = await startTestServer({ services: [serviceRegistration(EchoService, {})] });
    const health = createClient(Health, t.transport);
    expect((await health.check({ service: "" })).status).toBe(S.SERVING);
    expect((await health.check({ service: "ferry.test.v1.EchoService" })).status).toBe(S.SERVING);
    expect((await health.check({ service: "grpc.health.v1.Health" })).status).toBe(S.SERVING);
    const err = await health.check({ service: "nope.Service" }).then(shouldFail, asConnectError);
    expect(err.code).toBe(Code.NotFound);

    t.running.health.set("ferry.test.v1.EchoService", S.NOT_SERVING);
    expect((await health.check({ service: "ferry.test.v1.EchoService" })).status).toBe(S.NOT_SERVING);
  });

  it("Watch streams changes and ends with UNAVAILABLE on shutdown, without waiting for the grace period", async () => {
    t = await startTestServer();
    const health = createClient(Health, t.transport);
    const statuses: S[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "later.Service" })) statuses.push(res.status);
    })().then(shouldFail, asConnectError);

    await eventually(() => statuses.length === 1);
    expect(statuses).toEqual([S.SERVICE_UNKNOWN]);
    t.running.health.set("later.Service", S.SERVING);
    await eventually(() => statuses.length === 2);
    t.running.health.set("later.Service", S.SERVING); // no change, no message
    t.running.health.set("later.Service", S.NOT_SERVING);
    await eventually(() => statuses.length === 3);

    t.running.health.set("later.Service", S.SERVING);
    await eventually(() => statuses.length === 4);
    const started = performance.now();
    await t.running.shutdown(5000);
    expect(performance.now() - started).toBeLessThan(2000);
    const err = await watching;
    expect(err.code).toBe(Code.Unavailable);
    expect(statuses).toEqual([S.SERVICE_UNKNOWN, S.SERVING, S.NOT_SERVING, S.SERVING, S.NOT_SERVING]);
  });
});

describe("graceful shutdown", () => {
  it("lets an in-flight call finish and refuses new connections", async () => {
    let running = 0;
    t = await startTestServer({
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
    const client = createClient(EchoService, t.transport);
    const inflight = client.say({ delayMs: 300 });
    await eventually(() => running === 1); // in flight: the handler is running
    const stopping = t.running.shutdown(5000);
    expect(t.running.health.get("")).toBe(S.NOT_SERVING);
    expect((await inflight).text).toBe("finished");
    await stopping;
    const after = await createClient(Health, t.transport).check({}).then(shouldFail, asConnectError);
    expect(after.code).toBe(Code.Unavailable);
  });

  it("cancels calls still running after the grace period", async () => {
    let handlerAbort: unknown;
    let drainedSeen = false;
    let handlerRunning = false;
    t = await startTestServer({
      services: [
        serviceRegistration(EchoService, {
          async say(_req, ctx) {
            handlerRunning = true;
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
    const client = createClient(EchoService, t.transport);
    const inflight = client.say({}).then(shouldFail, asConnectError);
    await eventually(() => handlerRunning);
    const started = performance.now();
    await t.running.shutdown(200);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2000);
    expect(drainedSeen).toBe(true);
    await eventually(() => handlerAbort !== undefined);
    expect(String(handlerAbort)).toMatch(/shutting down/);
    expect((await inflight).code).toBe(Code.Unavailable);
  });
});
