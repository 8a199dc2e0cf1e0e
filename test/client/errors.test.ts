import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ModelMigratingSchema, ModelRedirectSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import {
  decodeError,
  FerryError,
  InvalidArgumentError,
  MigratingError,
  PreconditionError,
  RedirectError,
} from "../../src/client/errors.js";

const info = (reason: string) => ({
  desc: ErrorInfoSchema,
  value: create(ErrorInfoSchema, { reason, domain: "ferry.v1" }),
});

describe("decodeError", () => {
  it("turns MODEL_MIGRATED + ModelRedirect into a RedirectError", () => {
    const redirect = create(ModelRedirectSchema, {
      modelName: "migrate",
      controllerName: "dst",
      addresses: ["10.0.0.5:17070"],
    });
    const err = decodeError(
      new ConnectError("model migrated", Code.FailedPrecondition, undefined, [
        info("MODEL_MIGRATED"),
        { desc: ModelRedirectSchema, value: redirect },
      ]),
    );
    expect(err).toBeInstanceOf(RedirectError);
    expect(err).toBeInstanceOf(ConnectError);
    const r = err as RedirectError;
    expect(r.reason).toBe("MODEL_MIGRATED");
    expect(r.redirect.controllerName).toBe("dst");
    expect(r.rawMessage).toBe("model migrated");
    expect(r.code).toBe(Code.FailedPrecondition);
    // Details survive, so generic code can still read them.
    expect(r.findDetails(ModelRedirectSchema)[0]?.modelName).toBe("migrate");
  });

  it("turns MODEL_MIGRATING into a MigratingError with the retry delay", () => {
    const err = decodeError(
      new ConnectError("model migration in progress", Code.Unavailable, undefined, [
        info("MODEL_MIGRATING"),
        { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(1500) }) },
        { desc: ModelMigratingSchema, value: create(ModelMigratingSchema, { phase: "IMPORT" }) },
      ]),
    ) as MigratingError;
    expect(err).toBeInstanceOf(MigratingError);
    expect(err.retryDelayMs).toBe(1500);
    expect(err.migrating?.phase).toBe("IMPORT");
  });

  it("collects every precondition violation", () => {
    const err = decodeError(
      new ConnectError("prechecks failed", Code.FailedPrecondition, undefined, [
        info("PRECHECK_FAILED"),
        {
          desc: PreconditionFailureSchema,
          value: create(PreconditionFailureSchema, {
            violations: [
              { type: "MACHINE_NOT_RUNNING", subject: "machine-0", description: "machine 0 is not running (pending)" },
              { type: "MISSING_USERS", subject: "bob", description: "bob missing" },
            ],
          }),
        },
      ]),
    ) as PreconditionError;
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.violations.map((v) => v.type)).toEqual(["MACHINE_NOT_RUNNING", "MISSING_USERS"]);
  });

  it("collects bad request field violations", () => {
    const err = decodeError(
      new ConnectError("name: bad", Code.InvalidArgument, undefined, [
        info("INVALID_ARGUMENT"),
        {
          desc: BadRequestSchema,
          value: create(BadRequestSchema, { fieldViolations: [{ field: "name", description: "bad" }] }),
        },
      ]),
    ) as InvalidArgumentError;
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.fieldViolations).toEqual([{ field: "name", description: "bad" }]);
  });

  it("keeps other codes as FerryError and leaves non-RPC errors alone", () => {
    const nf = decodeError(new ConnectError("model not found", Code.NotFound, undefined, [info("NOT_FOUND")]));
    expect(nf).toBeInstanceOf(FerryError);
    expect(nf).not.toBeInstanceOf(RedirectError);
    expect((nf as FerryError).reason).toBe("NOT_FOUND");
    const plain = new TypeError("bug");
    expect(decodeError(plain)).toBe(plain);
  });

  it("does not mistake a plain ConnectError for a typed one", () => {
    expect(new ConnectError("x", Code.NotFound)).not.toBeInstanceOf(RedirectError);
    expect(new ConnectError("x", Code.NotFound)).not.toBeInstanceOf(FerryError);
  });
});
