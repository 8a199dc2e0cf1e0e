// The client against a real TLS HTTP/2 gRPC server in this process: pinning,
// trust-on-first-use CA fetching, bearer auth and rich errors on the wire.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ModelRedirectSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { connect } from "../../src/client/connect.js";
import { RedirectError } from "../../src/client/errors.js";
import { fetchControllerCa, UntrustworthyCaError } from "../../src/client/fetch-ca.js";
import { fingerprintPem } from "../../src/client/fingerprint.js";
import { isServing } from "../../src/client/health.js";
import { makeTestPki, type TestPki } from "./certs.js";

let pki: TestPki;

function routes(caCert: string) {
  return (router: ConnectRouter) => {
    router.service(ControllerService, {
      getControllerInfo: () => ({
        controller: { name: "src", uuid: "uuid-src", caCert, apiAddresses: ["127.0.0.1:1"] },
      }),
      whoAmI: (_req, ctx) => {
        const auth = ctx.requestHeader.get("authorization");
        if (auth !== "Bearer good-token") throw new ConnectError("invalid or expired token", Code.Unauthenticated);
        return { user: { name: "admin" }, controllerName: "src" };
      },
    });
    router.service(ModelService, {
      getStatus: () => {
        throw new ConnectError('model "migrate" has been migrated', Code.FailedPrecondition, undefined, [
          { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "MODEL_MIGRATED", domain: "ferry.v1" }) },
          {
            desc: ModelRedirectSchema,
            value: create(ModelRedirectSchema, {
              modelName: "migrate",
              controllerName: "dst",
              addresses: ["10.0.0.5:17070"],
            }),
          },
        ]);
      },
    });
    router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
  };
}

async function listen(
  cert: string,
  key: string,
  caCert: string,
): Promise<{ server: Http2SecureServer; address: string }> {
  const server = createSecureServer({ cert, key, allowHTTP1: false }, connectNodeAdapter({ routes: routes(caCert) }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let good: { server: Http2SecureServer; address: string };
let rogue: { server: Http2SecureServer; address: string };

beforeAll(async () => {
  pki = makeTestPki();
  good = await listen(pki.serverCertPem, pki.serverKeyPem, pki.caPem);
  // Presents a certificate its claimed CA did not sign.
  rogue = await listen(pki.rogueCertPem, pki.rogueKeyPem, pki.caPem);
});
afterAll(() => {
  good.server.close();
  rogue.server.close();
});

describe("connect", () => {
  it("talks to a controller whose certificate the pinned CA signed", async () => {
    const c = connect({ address: good.address, caPem: pki.caPem, token: "good-token" });
    try {
      const res = await c.controller.whoAmI({});
      expect(res.user?.name).toBe("admin");
      expect(await isServing(c)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("refuses a controller signed by another CA (no system roots, no fallback)", async () => {
    const c = connect({ address: good.address, caPem: pki.otherCaPem, token: "good-token" });
    try {
      await expect(c.controller.whoAmI({})).rejects.toThrow();
      expect(await isServing(c)).toBe(false);
    } finally {
      c.close();
    }
  });

  it("sends the bearer token; a bad one is UNAUTHENTICATED", async () => {
    const c = connect({ address: good.address, caPem: pki.caPem, token: "stale" });
    try {
      await expect(c.controller.whoAmI({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    } finally {
      c.close();
    }
  });

  it("decodes a redirect from grpc-status-details-bin into a RedirectError", async () => {
    const c = connect({ address: good.address, caPem: pki.caPem, token: "good-token" });
    try {
      const err = await c.model.getStatus({ model: "migrate" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedirectError);
      expect((err as RedirectError).redirect.addresses).toEqual(["10.0.0.5:17070"]);
      expect((err as RedirectError).rawMessage).toBe('model "migrate" has been migrated');
    } finally {
      c.close();
    }
  });
});

describe("fetchControllerCa", () => {
  it("returns the CA that signed the presented certificate, with its fingerprint", async () => {
    const fetched = await fetchControllerCa(good.address);
    expect(fetched.fingerprint).toBe(fingerprintPem(pki.caPem));
    expect(fetched.controller.uuid).toBe("uuid-src");
    expect(fingerprintPem(fetched.caPem)).toBe(fetched.fingerprint);
  });

  it("refuses a CA that did not sign the presented certificate", async () => {
    await expect(fetchControllerCa(rogue.address)).rejects.toBeInstanceOf(UntrustworthyCaError);
  });

  it("fails cleanly when nothing listens", async () => {
    await expect(fetchControllerCa("127.0.0.1:1", 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
