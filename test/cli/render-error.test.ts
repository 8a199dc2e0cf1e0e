import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ModelRedirectSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import { decodeError } from "../../src/client/errors.js";
import { ClientStore } from "../../src/client/store/store.js";
import { CliError } from "../../src/cli/errors.js";
import { renderError, type ErrorContext } from "../../src/cli/render-error.js";

let ctx: ErrorContext;
beforeEach(() => {
  ctx = { store: new ClientStore(mkdtempSync(join(tmpdir(), "ferry-home-"))), debug: false, controller: "src" };
});

const info = (reason: string) => ({
  desc: ErrorInfoSchema,
  value: create(ErrorInfoSchema, { reason, domain: "ferry.v1" }),
});
const wire = (msg: string, code: Code, ...details: { desc: never; value: never }[]) =>
  decodeError(new ConnectError(msg, code, undefined, details));

describe("renderError", () => {
  it("prints CliErrors with their hint and no stack", async () => {
    expect(await renderError(new CliError("no current controller", "Run this."), ctx)).toBe(
      "ERROR no current controller\nRun this.",
    );
  });

  it("prints a migrating model exactly", async () => {
    const err = wire("model is being migrated (phase IMPORT)", Code.Unavailable, info("MODEL_MIGRATING") as never);
    expect(await renderError(err, ctx)).toBe("ERROR model migration in progress");
  });

  it("prints redirect message (a) when the destination is in the store", async () => {
    await ctx.store.putController("dst", {
      uuid: "uuid-dst",
      apiEndpoints: ["10.0.0.5:17070"],
      caCert: "",
      caFingerprint: "AA",
    });
    const err = wire(
      "model migrated",
      Code.FailedPrecondition,
      info("MODEL_MIGRATED") as never,
      {
        desc: ModelRedirectSchema,
        value: create(ModelRedirectSchema, {
          modelName: "migrate",
          modelOwner: "admin",
          controllerUuid: "uuid-dst",
          controllerName: "dst",
          addresses: ["10.0.0.5:17070"],
          caFingerprint: "AA",
        }),
      } as never,
    );
    expect(await renderError(err, ctx)).toBe(
      'ERROR Model "migrate" has been migrated to controller "dst".\nTo access it run \'ferry switch dst:migrate\'.',
    );
  });

  it("says once, with one hint, that a session expired or was revoked", async () => {
    const expired = wire(
      "token expired: log in again (ferry login)",
      Code.Unauthenticated,
      info("TOKEN_EXPIRED") as never,
    );
    expect(await renderError(expired, ctx)).toBe(
      "ERROR your session on controller \"src\" has expired\nRun 'ferry login -c src' to log in again.",
    );
    const revoked = wire("invalid or revoked token", Code.Unauthenticated, info("INVALID_TOKEN") as never);
    expect(await renderError(revoked, ctx)).toBe(
      'ERROR your session on controller "src" is no longer valid (logged out or revoked)\n' +
        "Run 'ferry login -c src' to log in again.",
    );
    const other = wire("no token", Code.Unauthenticated, info("UNAUTHENTICATED") as never);
    expect(await renderError(other, ctx)).toBe("ERROR no token\nRun 'ferry login -c src' to log in again.");
  });

  it("lists precondition violations the message does not already contain", async () => {
    const err = wire(
      "cannot migrate: 2 prechecks failed",
      Code.FailedPrecondition,
      info("PRECHECK_FAILED") as never,
      {
        desc: PreconditionFailureSchema,
        value: create(PreconditionFailureSchema, {
          violations: [
            { type: "MACHINE_NOT_RUNNING", subject: "machine-0", description: "machine 0 is not running (pending)" },
            {
              type: "UNIT_NOT_IDLE",
              subject: "wordpress/0",
              description: "unit wordpress/0 is not idle or executing (allocating)",
            },
          ],
        }),
      } as never,
    );
    expect(await renderError(err, ctx)).toBe(
      "ERROR cannot migrate: 2 prechecks failed\n" +
        "  - machine-0: machine 0 is not running (pending)\n" +
        "  - wordpress/0: unit wordpress/0 is not idle or executing (allocating)",
    );
  });

  it("keeps plain server messages as they are", async () => {
    expect(await renderError(wire("permission denied", Code.PermissionDenied), ctx)).toBe("ERROR permission denied");
  });

  it("shows invalid-argument descriptions without the request's field paths", async () => {
    const bad = (...v: [string, string][]) =>
      wire(v.map(([f, d]) => `${f}: ${d}`).join("; "), Code.InvalidArgument, {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, { fieldViolations: v.map(([field, description]) => ({ field, description })) }),
      } as never);
    expect(await renderError(bad(["endpoints", 'application "wordpress" has no "nosuch" endpoint']), ctx)).toBe(
      'ERROR application "wordpress" has no "nosuch" endpoint',
    );
    expect(await renderError(bad(["set.a", 'unknown option "a"'], ["set.b", 'unknown option "b"']), ctx)).toBe(
      'ERROR invalid request:\n  - unknown option "a"\n  - unknown option "b"',
    );
  });

  it("names the controller in a not-found answer and says where to look", async () => {
    expect(await renderError(wire('model "x" not found', Code.NotFound, info("MODEL_NOT_FOUND") as never), ctx)).toBe(
      'ERROR model "x" not found on controller "src"\nRun \'ferry models\' to list the models you can see.',
    );
    expect(await renderError(wire('unit "a/9" not found', Code.NotFound, info("UNIT_NOT_FOUND") as never), ctx)).toBe(
      'ERROR unit "a/9" not found on controller "src"\nSee the model\'s units with \'ferry status\'.',
    );
  });

  it("explains connection failures", async () => {
    const refused = wire("connect ECONNREFUSED 127.0.0.1:17070", Code.Unavailable);
    expect(await renderError(refused, ctx)).toBe(
      'ERROR cannot connect to controller "src": connect ECONNREFUSED 127.0.0.1:17070',
    );
    const tls = wire("unable to verify the first certificate", Code.Internal);
    expect(await renderError(tls, ctx)).toMatch(/^ERROR cannot connect to controller "src": TLS verification failed/);
  });

  it("hints at --debug for the unexpected, and shows the stack with it", async () => {
    const bug = new TypeError("cannot read properties of undefined");
    expect(await renderError(bug, ctx)).toBe(
      "ERROR cannot read properties of undefined\n(unexpected error; rerun with --debug for details)",
    );
    const withStack = await renderError(bug, { ...ctx, debug: true });
    expect(withStack).toContain("ERROR cannot read properties of undefined\nTypeError");
    expect(await renderError(wire("boom", Code.Internal), ctx)).toBe(
      "ERROR boom\n(unexpected error; rerun with --debug for details)",
    );
  });
});
