// fetchStatus against controllers that do and do not have StreamStatus.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FullStatusSchema, ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { fetchStatus } from "../../src/client/status.js";

const status = (units: string[]) =>
  create(FullStatusSchema, {
    model: { name: "web", owner: "admin" },
    applications: [{ name: "pg", units: units.map((name) => ({ name })) }],
  });

function modelClient(impl: Parameters<typeof createRouterTransport>[0]) {
  return { model: createClient(ModelService, createRouterTransport(impl)) };
}

describe("fetchStatus", () => {
  it("merges StreamStatus parts", async () => {
    const c = modelClient((r) =>
      r.service(ModelService, {
        async *streamStatus() {
          yield { status: status(["pg/0"]) };
          yield { status: { applications: [{ name: "pg", units: [{ name: "pg/1" }] }] } };
        },
      }),
    );
    const st = await fetchStatus(c, "web");
    expect(st.model?.name).toBe("web");
    expect(st.applications.map((a) => a.units.map((u) => u.name))).toEqual([["pg/0", "pg/1"]]);
  });

  it("asks a controller from before StreamStatus with GetStatus", async () => {
    const c = modelClient((r) => r.service(ModelService, { getStatus: () => ({ status: status(["pg/0"]) }) }));
    const st = await fetchStatus(c, "web");
    expect(st.applications[0]?.units.map((u) => u.name)).toEqual(["pg/0"]);
  });

  it("passes other errors on, and refuses a stream that sent nothing", async () => {
    const denied = modelClient((r) =>
      r.service(ModelService, {
        async *streamStatus() {
          throw new ConnectError('model "web" not found', Code.NotFound);
        },
      }),
    );
    await expect(fetchStatus(denied, "web")).rejects.toMatchObject({ code: Code.NotFound });
    const empty = modelClient((r) =>
      r.service(ModelService, {
        async *streamStatus() {},
      }),
    );
    await expect(fetchStatus(empty, "web")).rejects.toThrow("StreamStatus ended without a part");
  });
});
