// The TypeScript journey (gen/ts through src/client, the helpers docs/clients.md
// shows) against real ferryd processes over TLS, the same steps the Go and Python
// journeys take: health, login, create, deploy, status, WatchStatus, deadlines on
// a unary call and on a stream, the 4 MiB limit, a migration watched to DONE, and
// the stale call read as a RedirectError and followed to the destination.
import { Code, ConnectError } from "@connectrpc/connect";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { ServingStatus } from "../../src/transport/health.js";
import { connect, followRedirect, RedirectError, type FerryClients } from "../../src/client/index.js";
import { followMigration, startMigrationTo } from "../../src/client/migration.js";
import { callsTo, deadlineReachedServer, eventually, startFerryds, stopAll, type Ferryd } from "../helpers/ferryd.js";

/** "127.0.0.1:<port>" where nothing listens (a port we held and let go). */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

async function codeOf(p: Promise<unknown>): Promise<Code | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

describe("TypeScript client against a live controller", () => {
  let src: Ferryd;
  let dst: Ferryd;
  let c: FerryClients;
  const open: FerryClients[] = [];
  const model = "admin/ts-journey";

  async function login(d: Ferryd): Promise<FerryClients> {
    const anon = connect({ address: d.address, caPem: d.caPem });
    open.push(anon);
    const { token } = await anon.controller.login({ user: "admin", password: d.adminPassword });
    const authed = connect({ address: d.address, caPem: d.caPem, token });
    open.push(authed);
    return authed;
  }

  beforeAll(async () => {
    const env = { FERRY_MIGRATION_RETRY_MS: "1500", FERRY_PROVISION_DELAY_MS: "5" };
    // The source's phases take at least 100 ms each, so the watch sees several
    // of them, and its logins a second, so a 100 ms login deadline runs out on
    // the server, however fast the machine is.
    [src, dst] = await startFerryds(
      { name: "ts-src", env: { ...env, FERRY_MIGRATION_TEST_DELAY_MS: "100", FERRY_LOGIN_TEST_DELAY_MS: "1000" } },
      { name: "ts-dst", env, adminPassword: "dst-admin-pw" },
    );
    c = await login(src);
  }, 60_000);
  afterAll(async () => {
    for (const o of open) o.close();
    await stopAll([src, dst]);
  });

  it("checks health, for the server and for a service", async () => {
    expect((await c.health.check({})).status).toBe(ServingStatus.SERVING);
    expect((await c.health.check({ service: "ferry.v1.ModelService" })).status).toBe(ServingStatus.SERVING);
    expect(await codeOf(c.health.check({ service: "no.such.Service" }))).toBe(Code.NotFound);
  });

  it("creates, deploys, reads status and watches it change", async () => {
    await c.model.createModel({ name: "ts-journey" });
    await c.model.deployApplication({ model, charm: "postgresql", application: "pg", numUnits: 1 });
    const st = await c.model.getStatus({ model });
    expect(st.status?.applications.map((a) => a.name)).toEqual(["pg"]);

    const ac = new AbortController();
    const watch = c.model.watchStatus({ model }, { signal: ac.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value.status.model.name).toBe("ts-journey");
    await c.model.addUnits({ model, application: "pg", count: 1 });
    for (;;) {
      const { value } = await watch.next();
      if (value.status.applications[0].units.length === 2) break;
    }
    ac.abort();
  });

  it("honours deadlines on a unary call and on a stream; the server keeps working", async () => {
    const anon = connect({ address: src.address, caPem: src.caPem });
    open.push(anon);
    await anon.health.check({}); // connected, so the deadline is spent on the server, not on the handshake
    // Logins on this source take a second (FERRY_LOGIN_TEST_DELAY_MS).
    expect(
      await codeOf(anon.controller.login({ user: "admin", password: src.adminPassword }, { timeoutMs: 100 })),
    ).toBe(Code.DeadlineExceeded);
    const watched = (async () => {
      for await (const _ of c.model.watchStatus({ model }, { timeoutMs: 300 })) void _;
    })();
    expect(await codeOf(watched)).toBe(Code.DeadlineExceeded);
    expect((await c.model.getStatus({ model })).status?.model?.name).toBe("ts-journey");
    // Both deadlines reached the server: it logged each call with the time its
    // caller gave it, ended without an answer.
    const login = "/ferry.v1.ControllerService/Login";
    const watch = "/ferry.v1.ModelService/WatchStatus";
    await eventually(() => deadlineReachedServer(src, watch, 300));
    expect(deadlineReachedServer(src, login, 100), callsTo(src, login)).toBe(true);
    expect(deadlineReachedServer(src, watch, 300), callsTo(src, watch)).toBe(true);
  });

  it("refuses a request over 4 MiB with RESOURCE_EXHAUSTED; the server keeps working", async () => {
    const big = "x".repeat(5 << 20);
    expect(await codeOf(c.model.updateModelConfig({ model, set: { big } }))).toBe(Code.ResourceExhausted);
    expect((await c.health.check({})).status).toBe(ServingStatus.SERVING);
    expect((await c.model.getModelConfig({ model })).config).not.toHaveProperty("big");
  });

  it("migrates, watches to DONE, and follows the redirect with the destination's CA", async () => {
    const d = await login(dst);
    const m = await c.model.getModel({ model });
    const started = await startMigrationTo(
      c,
      { clients: d, name: "dst", addresses: [dst.address], caPem: dst.caPem },
      model,
    );
    expect(started.id).toBe(`${m.model!.uuid}:0`);
    const phases: MigrationPhase[] = [];
    const end = await followMigration(c, started.id, (mig) => phases.push(mig.phase));
    expect(end.phase).toBe(MigrationPhase.DONE);
    expect(new Set(phases).size).toBeGreaterThan(1);

    const stale = await c.model.getStatus({ model }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stale).toBeInstanceOf(RedirectError);
    const r = (stale as RedirectError).redirect;
    expect(r).toMatchObject({
      modelName: "ts-journey",
      modelOwner: "admin",
      modelUuid: m.model!.uuid,
      controllerName: "dst",
      controllerUuid: (await d.controller.getControllerInfo({})).controller!.uuid,
      addresses: [dst.address],
      caCert: dst.caPem,
    });
    const there = await login({ ...dst, address: r.addresses[0]!, caPem: r.caCert });
    const moved = await there.model.getStatus({ model: r.modelUuid });
    expect(moved.status?.applications[0]?.units).toHaveLength(2);

    // followRedirect tries the addresses in turn: one that is gone (a port
    // nothing listens on) before the live one still reaches the destination,
    // and only gone ones fail with UNAVAILABLE naming what was tried.
    const gone = await deadAddress();
    const anon = connect({ address: dst.address, caPem: dst.caPem });
    open.push(anon);
    const { token } = await anon.controller.login({ user: "admin", password: dst.adminPassword });
    const past = await followRedirect({ ...r, addresses: [gone, ...r.addresses] }, { token });
    try {
      expect(past.address()).toBe(dst.address);
      expect((await past.model.getStatus({ model: r.modelUuid })).status?.model?.uuid).toBe(r.modelUuid);
    } finally {
      past.close();
    }
    const none = await followRedirect({ ...r, addresses: [gone] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(none).toBeInstanceOf(ConnectError);
    expect((none as ConnectError).code).toBe(Code.Unavailable);
    expect((none as ConnectError).rawMessage).toContain(gone);
  }, 60_000);
});
