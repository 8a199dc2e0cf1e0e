// Building the errors services return. Every error carries a
// google.rpc.ErrorInfo (reason UPPER_SNAKE, domain "ferry.v1") plus the typed
// detail its code calls for (AIP-193); the transport encodes them into
// grpc-status-details-bin.
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";

export const ERROR_DOMAIN = "ferry.v1";

type Detail = ConstructorParameters<typeof ConnectError>[3];

function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  return { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) };
}

/** Any code with a reason and optional extra details. */
export function ferryError(
  code: Code,
  reason: string,
  message: string,
  extra: NonNullable<Detail> = [],
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(message, code, undefined, [errorInfo(reason, metadata), ...extra]);
}

/** INVALID_ARGUMENT with a BadRequest naming each bad field. */
export function invalidArgument(violations: { field: string; description: string }[]): ConnectError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return ferryError(Code.InvalidArgument, "INVALID_ARGUMENT", message, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: violations }) },
  ]);
}

/** Shorthand for one bad field. */
export function badField(field: string, description: string): ConnectError {
  return invalidArgument([{ field, description }]);
}

export function notFound(what: string, reason = "NOT_FOUND"): ConnectError {
  return ferryError(Code.NotFound, reason, `${what} not found`);
}

export function alreadyExists(message: string, reason = "ALREADY_EXISTS"): ConnectError {
  return ferryError(Code.AlreadyExists, reason, message);
}

export function permissionDenied(message = "permission denied", reason = "PERMISSION_DENIED"): ConnectError {
  return ferryError(Code.PermissionDenied, reason, message);
}

export function unauthenticated(message: string, reason = "UNAUTHENTICATED"): ConnectError {
  return ferryError(Code.Unauthenticated, reason, message);
}

/** FAILED_PRECONDITION listing every violation (type = check code). */
export function failedPrecondition(
  reason: string,
  message: string,
  violations: { type: string; subject: string; description: string }[] = [],
): ConnectError {
  const extra: NonNullable<Detail> = violations.length
    ? [{ desc: PreconditionFailureSchema, value: create(PreconditionFailureSchema, { violations }) }]
    : [];
  return ferryError(Code.FailedPrecondition, reason, message, extra);
}

/** UNAVAILABLE with RetryInfo: try again later. */
export function unavailable(
  reason: string,
  message: string,
  retryMs: number,
  extra: NonNullable<Detail> = [],
): ConnectError {
  return ferryError(Code.Unavailable, reason, message, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(retryMs) }) },
    ...extra,
  ]);
}
