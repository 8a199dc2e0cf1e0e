// Issue 11: hostile requests against a real ferryd. Each gets INVALID_ARGUMENT
// with a BadRequest (never INTERNAL), an error small enough for any gRPC
// client's trailer limit (16 KiB in grpc-core), nothing written, and the
// health check keeps answering while it runs.
import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { strToU8, zipSync } from "fflate";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import {
  ModelService,
  RemoveUnitsRequestSchema,
  UpdateModelConfigRequestSchema,
} from "../../gen/ts/ferry/v1/model_pb.js";
import { Life } from "../../gen/ts/ferry/v1/resources_pb.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { clientFor, startFerryd, type Ferryd } from "../helpers/ferryd.js";
import { expectResponsive, healthDuring } from "../helpers/health.js";

let ctl: Ferryd;
let token: string;

beforeAll(async () => {
  ctl = await startFerryd({ name: "limits" });
  token = (await clientFor(ctl, ControllerService).login({ user: "admin", password: ctl.adminPassword })).token;
  await clientFor(ctl, ModelService, token).createModel({ name: "web" });
  await clientFor(ctl, ModelService, token).deployApplication({ model: "admin/web", charm: "postgresql" });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  ctl?.cleanup();
});

interface RawAnswer {
  code: number;
  details: string;
  /** Bytes of grpc-status-details-bin as sent (before base64). */
  detailsBytes: number;
  status?: ReturnType<typeof fromBinary<typeof StatusSchema>>;
}

/** A raw grpc-js call, so the test sees the trailers exactly as any client would. */
function rawCall(method: string, body: Uint8Array): Promise<RawAnswer> {
  const raw = new grpc.Client(ctl.address, grpc.credentials.createSsl(Buffer.from(ctl.caPem)), {
    "grpc.ssl_target_name_override": "localhost",
  });
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    raw.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      md,
      (err) => {
        raw.close();
        if (!err) return reject(new Error("expected the call to fail"));
        const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
        resolve({
          code: err.code,
          details: err.details,
          detailsBytes: bin?.length ?? 0,
          status: bin ? fromBinary(StatusSchema, bin) : undefined,
        });
      },
    );
  });
}

function reasonOf(a: RawAnswer): string | undefined {
  const info = a.status?.details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
  return info ? fromBinary(ErrorInfoSchema, info.value).reason : undefined;
}

function fieldsOf(a: RawAnswer): string[] {
  const br = a.status?.details.find((d) => d.typeUrl.endsWith("/google.rpc.BadRequest"));
  return br ? fromBinary(BadRequestSchema, br.value).fieldViolations.map((v) => v.field) : [];
}

describe("bounded input", () => {
  it("RemoveUnits with 100,000 names is refused before any work, with a small error", async () => {
    const units = Array.from({ length: 100_000 }, (_, i) => `postgresql/${i}`);
    const body = toBinary(RemoveUnitsRequestSchema, create(RemoveUnitsRequestSchema, { model: "admin/web", units }));
    const { result: a, ...health } = await healthDuring(ctl, () => rawCall("/ferry.v1.ModelService/RemoveUnits", body));
    expect(a.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(reasonOf(a)).toBe("REQUEST_LIMIT_EXCEEDED");
    expect(fieldsOf(a)).toEqual(["units"]);
    expect(a.details).toContain("at most 1000 entries per call, got 100000");
    expect(a.detailsBytes + a.details.length).toBeLessThan(4096);
    await expectResponsive(ctl, health);
    // Nothing was removed.
    const st = (await clientFor(ctl, ModelService, token).getStatus({ model: "admin/web" })).status!;
    expect(st.applications[0]!.units.map((u) => [u.name, u.life])).toEqual([["postgresql/0", Life.ALIVE]]);
  }, 60_000);

  it("the Connect protocol on the same port has the same limits", async () => {
    const transport = createConnectTransport({
      baseUrl: `https://${ctl.address}`,
      httpVersion: "2",
      nodeOptions: { ca: ctl.caPem },
      interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
    });
    const err = await createClient(ModelService, transport)
      .removeUnits({ model: "admin/web", units: Array.from({ length: 1001 }, (_, i) => `postgresql/${i}`) })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("REQUEST_LIMIT_EXCEEDED");
  });

  it("UpdateModelConfig with 100,000 keys is refused, not INTERNAL", async () => {
    const set = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key-${i}`, "v"]));
    const body = toBinary(
      UpdateModelConfigRequestSchema,
      create(UpdateModelConfigRequestSchema, { model: "admin/web", set }),
    );
    const { result: a, ...health } = await healthDuring(ctl, () =>
      rawCall("/ferry.v1.ModelService/UpdateModelConfig", body),
    );
    expect(a.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldsOf(a)).toEqual(["set"]);
    expect(a.detailsBytes).toBeLessThan(4096);
    await expectResponsive(ctl, health);
    const cfg = (await clientFor(ctl, ModelService, token).getModelConfig({ model: "admin/web" })).config;
    expect(cfg["key-0"]).toBeUndefined();
  }, 60_000);

  it("a 1 MB name is quoted as a short prefix, in the message and in BadRequest", async () => {
    const huge = "a".repeat(1_000_000);
    for (const name of [huge, `${"a".repeat(60_000)}!`]) {
      const { result: err, ...health } = await healthDuring(ctl, () =>
        clientFor(ctl, ModelService, token)
          .createModel({ name })
          .then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          ),
      );
      await expectResponsive(ctl, health);
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err!.rawMessage.length).toBeLessThan(1100);
      const violations = err!.findDetails(BadRequestSchema)[0]!.fieldViolations;
      expect(violations[0]!.field).toBe("name");
      expect(JSON.stringify(violations).length).toBeLessThan(1000);
    }
    const users = await clientFor(ctl, ControllerService, token)
      .createUser({ name: "b".repeat(200_000), password: "long-enough-pw" })
      .catch((e: unknown) => ConnectError.from(e));
    expect((users as ConnectError).code).toBe(Code.InvalidArgument);
    expect((users as ConnectError).rawMessage.length).toBeLessThan(1100);
  });
});

describe("bounded config", () => {
  it("refuses a write that would take a model's config over 1 MiB, and every read still fits", async () => {
    const models = clientFor(ctl, ModelService, token);
    const chunk = "x".repeat(60_000);
    const { result: refused, ...health } = await healthDuring(ctl, async () => {
      for (let i = 0; i < 30; i++) {
        const set = Object.fromEntries(Array.from({ length: 3 }, (_, j) => [`k${i}-${j}`, chunk]));
        const err = await models.updateModelConfig({ model: "admin/web", set }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        if (err) return err;
      }
      return undefined;
    });
    await expectResponsive(ctl, health);
    expect(refused?.code).toBe(Code.InvalidArgument);
    expect(refused!.findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.field).toBe("set");
    expect(refused!.rawMessage).toMatch(/at most 1048576 bytes of config/);
    // What was accepted before is still readable, and under the limit.
    const cfg = (await models.getModelConfig({ model: "admin/web" })).config;
    const total = Object.entries(cfg).reduce((n, [k, v]) => n + k.length + v.value.length, 0);
    expect(total).toBeLessThanOrEqual(1024 * 1024 + 1000);
    // A single value over 64 KiB is refused whole (the request limit).
    const big = await models
      .updateApplicationConfig({ model: "admin/web", application: "postgresql", set: { port: "1".repeat(70_000) } })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(big?.code).toBe(Code.InvalidArgument);
  }, 60_000);
});

describe("password guessing", () => {
  const loginFrom = (localAddress: string | undefined, user: string, password: string) => {
    const transport = createGrpcTransport({
      baseUrl: `https://${ctl.address}`,
      nodeOptions: { ca: ctl.caPem, ...(localAddress ? { localAddress } : {}) },
    });
    return createClient(ControllerService, transport)
      .login({ user, password })
      .then(
        (r) => r.token,
        (e: unknown) => ConnectError.from(e),
      );
  };

  it("slows a guesser down with RetryInfo; the right password from another address still works", async () => {
    await clientFor(ctl, ControllerService, token).createUser({ name: "victim", password: "the-right-one" });
    const { result: answers, ...health } = await healthDuring(ctl, async () => {
      const out: ConnectError[] = [];
      for (let i = 0; i < 8; i++) out.push((await loginFrom("127.0.0.1", "victim", `guess-${i}`)) as ConnectError);
      return out;
    });
    await expectResponsive(ctl, health);
    expect(answers.slice(0, 5).map((e) => e.code)).toEqual(Array(5).fill(Code.Unauthenticated));
    const throttled = answers.slice(6);
    for (const e of throttled) {
      expect(e.code).toBe(Code.ResourceExhausted);
      expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe("LOGIN_THROTTLED");
      const retry = e.findDetails(RetryInfoSchema)[0]?.retryDelay;
      expect(Number(retry?.seconds ?? 0) * 1000 + (retry?.nanos ?? 0) / 1e6).toBeGreaterThan(0);
    }
    // Even the right password waits, from the guessing address...
    expect(((await loginFrom("127.0.0.1", "victim", "the-right-one")) as ConnectError).code).toBe(
      Code.ResourceExhausted,
    );
    // ...but not from another one.
    expect(typeof (await loginFrom("127.0.0.2", "victim", "the-right-one"))).toBe("string");
    // The log says so, without the passwords.
    const log = ctl.output();
    expect(log).toContain("login throttled after repeated failures");
    expect(log).not.toContain("guess-");
  }, 60_000);

  it("slows guesses spread over many addresses for one user, but not from where the user logs in", async () => {
    await clientFor(ctl, ControllerService, token).createUser({ name: "spread", password: "the-right-one" });
    // The user's usual address.
    expect(typeof (await loginFrom("127.0.0.9", "spread", "the-right-one"))).toBe("string");
    // 51 guesses, one from each of 51 addresses: no address is over its own count.
    const guesses = await Promise.all(
      Array.from({ length: 51 }, (_, i) => loginFrom(`127.0.1.${i + 1}`, "spread", `guess-${i}`)),
    );
    expect((guesses as ConnectError[]).every((e) => e.code === Code.Unauthenticated)).toBe(true);
    // A new address is refused, even with the right password...
    const fresh = (await loginFrom("127.0.2.1", "spread", "the-right-one")) as ConnectError;
    expect(fresh.code).toBe(Code.ResourceExhausted);
    expect(fresh.findDetails(ErrorInfoSchema)[0]?.reason).toBe("LOGIN_THROTTLED");
    // ...the user's own address is not, and other users are not touched.
    expect(typeof (await loginFrom("127.0.0.9", "spread", "the-right-one"))).toBe("string");
    expect(typeof (await loginFrom("127.0.2.1", "admin", ctl.adminPassword))).toBe("string");
    expect(ctl.output()).toContain("login throttled for this user from every untrusted address");
  }, 60_000);
});

describe("charm archives that lie", () => {
  /** A zip whose metadata.yaml declares 40 bytes but inflates to 64 MiB (its CRC left as for 40). */
  function lyingArchive(): Uint8Array {
    const zip = zipSync({ "metadata.yaml": new Uint8Array(64 * 1024 * 1024) }, { level: 9 });
    const b = Buffer.from(zip);
    const cd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt32LE(40, cd + 24); // central directory: uncompressed size
    b.writeUInt32LE(40, 22); // local header too
    return b;
  }

  async function* upload(bytes: Uint8Array) {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    yield { data: { case: "metadata" as const, value: { model: "admin/web", size: BigInt(bytes.length), sha256 } } };
    for (let i = 0; i < bytes.length; i += 1 << 20) {
      yield { data: { case: "chunk" as const, value: bytes.subarray(i, i + (1 << 20)) } };
    }
  }

  it("is refused after its declared size, with the controller answering meanwhile", async () => {
    const models = clientFor(ctl, ModelService, token);
    const bomb = lyingArchive();
    const { result: err, ...health } = await healthDuring(ctl, () =>
      models.uploadCharm(upload(bomb)).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      ),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("INVALID_CHARM");
    expect(err!.rawMessage).toContain("metadata.yaml inflates to more than its declared 40 bytes");
    await expectResponsive(ctl, health);
    // Nothing stored.
    const charms = (await models.listCharms({ model: "admin/web" })).charms;
    expect(charms.some((c) => c.url.startsWith("local:"))).toBe(false);
  }, 60_000);

  it("a wrong CRC is refused; an honest archive is taken", async () => {
    const models = clientFor(ctl, ModelService, token);
    const good = zipSync({ "metadata.yaml": strToU8("name: honest\nsummary: fine\n") });
    const bad = Buffer.from(good);
    const cd = bad.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bad.writeUInt32LE((bad.readUInt32LE(cd + 16) ^ 1) >>> 0, cd + 16);
    const crc = await models.uploadCharm(upload(bad)).catch((e: unknown) => ConnectError.from(e));
    expect((crc as ConnectError).rawMessage).toContain("CRC-32 mismatch");
    expect((await models.uploadCharm(upload(good))).charm?.url).toBe("local:honest-0");
  });
});
