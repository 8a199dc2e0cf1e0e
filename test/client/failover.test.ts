// The client's failover over a controller's addresses: it moves on when an
// address cannot be reached (before the server saw the call), never when a
// server answered (a call must not run twice), and remembers what worked.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ControllerService, GetControllerInfoResponseSchema } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { failoverTransport } from "../../src/client/failover.js";

type Behaviour = "up" | "refused" | "migrating" | "not-serving";

function fakeNode(address: string, behaviour: () => Behaviour, calls: string[]): Transport {
  const fail = () => {
    const b = behaviour();
    if (b === "refused") throw new ConnectError(`connect ECONNREFUSED ${address}`, Code.Unavailable);
    if (b === "migrating") {
      throw new ConnectError("model migration in progress", Code.Unavailable, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "MODEL_MIGRATING", domain: "ferry" } },
      ]);
    }
  };
  return {
    async unary(method) {
      calls.push(`${address} ${method.name}`);
      if (method.name === "Check") {
        if (behaviour() === "refused") fail();
        const status =
          behaviour() === "not-serving"
            ? HealthCheckResponse_ServingStatus.NOT_SERVING
            : HealthCheckResponse_ServingStatus.SERVING;
        return { message: create(HealthCheckResponseSchema, { status }) } as never;
      }
      fail();
      return {
        message: create(GetControllerInfoResponseSchema, { controller: { name: address } }),
      } as never;
    },
    async stream() {
      throw new Error("not used");
    },
  };
}

describe("failover over a controller's addresses", () => {
  it("moves on past addresses that refuse or are not serving, and stays with the one that answered", async () => {
    const calls: string[] = [];
    const state: Record<string, Behaviour> = { a: "refused", b: "not-serving", c: "up" };
    const switched: string[] = [];
    const t = failoverTransport({
      addresses: ["a", "b", "c"],
      transportFor: (addr) => fakeNode(addr, () => state[addr]!, calls),
      onSwitch: (addr) => switched.push(addr),
    });
    const client = createClient(ControllerService, t);
    expect((await client.getControllerInfo({})).controller?.name).toBe("c");
    expect(t.current()).toBe("c");
    expect(switched).toEqual(["c"]);
    calls.length = 0;
    await client.getControllerInfo({});
    expect(calls).toEqual(["c GetControllerInfo"]); // probed once, then used directly
    // c goes away; a is back.
    state.c = "refused";
    state.a = "up";
    expect((await client.getControllerInfo({})).controller?.name).toBe("a");
    expect(switched).toEqual(["c", "a"]);
  });

  it("does not send a call elsewhere once a server answered it, even with UNAVAILABLE", async () => {
    const calls: string[] = [];
    const t = failoverTransport({
      addresses: ["a", "b"],
      transportFor: (addr) => fakeNode(addr, () => (addr === "a" ? "migrating" : "up"), calls),
    });
    const err = await createClient(ControllerService, t)
      .getControllerInfo({})
      .then(
        () => undefined,
        (e: unknown) => e as ConnectError,
      );
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toBe("model migration in progress");
    expect(calls.filter((c) => c.startsWith("b"))).toEqual([]);
  });

  it("names every address when none can be reached", async () => {
    const t = failoverTransport({
      addresses: ["a", "b"],
      transportFor: (addr) => fakeNode(addr, () => "refused", []),
    });
    const err = await createClient(ControllerService, t)
      .getControllerInfo({})
      .then(
        () => undefined,
        (e: unknown) => e as ConnectError,
      );
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toMatch(/any of its addresses: a \(.*ECONNREFUSED a\), b \(.*ECONNREFUSED b\)/);
  });
});
