// The request limits table (src/transport/limits.ts), on decoded messages and
// on the wire: what the proto comments promise is what is enforced.
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PrechecksRequestSchema } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { RemoveUnitsRequestSchema } from "../../gen/ts/ferry/v1/model_pb.js";
import { checkRequestLimits, MAX_ITEMS, precheckWire } from "../../src/transport/limits.js";

describe("request limits", () => {
  it("lets a migrating model carry up to 100,000 users, nested in the prechecks", () => {
    const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);
    const ok = create(PrechecksRequestSchema, { model: { uuid: "u", users: users(5000) } });
    expect(checkRequestLimits(PrechecksRequestSchema, ok)).toBeUndefined();
    const over = create(PrechecksRequestSchema, { model: { uuid: "u", users: users(100_001) } });
    const err = checkRequestLimits(PrechecksRequestSchema, over);
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toContain("model.users: at most 100000 entries per call, got 100001");
  });

  it("refuses a list over 1000 on the wire, before decoding it", () => {
    const units = Array.from({ length: MAX_ITEMS + 1 }, (_, i) => `app/${i}`);
    const bytes = toBinary(RemoveUnitsRequestSchema, create(RemoveUnitsRequestSchema, { model: "m", units }));
    expect(precheckWire(RemoveUnitsRequestSchema, bytes)?.rawMessage).toContain("units: at most 1000 entries");
    const fine = toBinary(
      RemoveUnitsRequestSchema,
      create(RemoveUnitsRequestSchema, { model: "m", units: units.slice(1) }),
    );
    expect(precheckWire(RemoveUnitsRequestSchema, fine)).toBeUndefined();
  });
});
