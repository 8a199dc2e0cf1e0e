// Building the errors services return. Every error carries a
// google.rpc.ErrorInfo (reason UPPER_SNAKE, domain "ferry.v1") plus the typed
// detail its code calls for (AIP-193); the transport encodes them into
// grpc-status-details-bin.
import { create, toBinary } from "@bufbuild/protobuf";
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

// Error size limits (issue 11): an error travels in trailers, and grpc-core
// clients refuse trailers over 16 KiB by default; grpc-status-details-bin is
// base64 (4/3) and grpc-message percent-encoded. So the message is at most
// 1 KiB and the encoded details at most 6 KiB, whatever the input that caused
// them: a 1 MB name is quoted as a short prefix and its length.
export const MAX_ERROR_MESSAGE = 1024;
export const MAX_ERROR_DETAILS = 6 * 1024;
const MAX_FIELD = 128;
// Long enough for the missing-users advisory of a model with dozens of users, verbatim.
const MAX_DESCRIPTION = 2048;

/** `text` cut to `max` characters, saying how long it was. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… (${text.length} characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  const clipped = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [clip(k, MAX_FIELD), clip(v, 256)]));
  return {
    desc: ErrorInfoSchema,
    value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata: clipped }),
  };
}

/** Any code with a reason and optional extra details. */
export function ferryError(
  code: Code,
  reason: string,
  message: string,
  extra: NonNullable<Detail> = [],
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(clip(message, MAX_ERROR_MESSAGE), code, undefined, [errorInfo(reason, metadata), ...extra]);
}

/**
 * Violations cut to fit the details budget: each one's strings clipped, then
 * as many as fit, the last saying how many more there were.
 */
function fitViolations<T extends Record<string, string>>(
  violations: T[],
  keyField: keyof T,
  size: (vs: T[]) => number,
): T[] {
  const clipped = violations.map((v) => {
    const out = { ...v };
    for (const k of Object.keys(out) as (keyof T)[]) {
      out[k] = clip(out[k]!, k === "description" ? MAX_DESCRIPTION : MAX_FIELD) as T[keyof T];
    }
    return out;
  });
  if (size(clipped) <= MAX_ERROR_DETAILS) return clipped;
  let n = clipped.length;
  const withMore = (k: number): T[] => [
    ...clipped.slice(0, k),
    { ...clipped[0]!, [keyField]: "", description: `…and ${clipped.length - k} more` } as T,
  ];
  // Few violations are long ones; halving then stepping keeps this cheap.
  while (n > 1 && size(withMore(n)) > MAX_ERROR_DETAILS) n = n > 16 ? Math.floor(n / 2) : n - 1;
  return withMore(n);
}

/** INVALID_ARGUMENT with a BadRequest naming each bad field. */
export function invalidArgument(violations: { field: string; description: string }[]): ConnectError {
  const fitted = fitViolations(
    violations.map((v) => ({ field: v.field, description: v.description })),
    "field",
    (vs) => toBinary(BadRequestSchema, create(BadRequestSchema, { fieldViolations: vs })).length,
  );
  const message = fitted.map((v) => (v.field ? `${v.field}: ${v.description}` : v.description)).join("; ");
  return ferryError(Code.InvalidArgument, "INVALID_ARGUMENT", message, [
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: fitted }) },
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
  const fitted = fitViolations(
    violations.map((v) => ({ type: v.type, subject: v.subject, description: v.description })),
    "subject",
    (vs) => toBinary(PreconditionFailureSchema, create(PreconditionFailureSchema, { violations: vs })).length,
  );
  const extra: NonNullable<Detail> = fitted.length
    ? [{ desc: PreconditionFailureSchema, value: create(PreconditionFailureSchema, { violations: fitted }) }]
    : [];
  return ferryError(Code.FailedPrecondition, reason, message, extra);
}

/** RESOURCE_EXHAUSTED with RetryInfo: the caller has asked too often; try again after the delay. */
export function resourceExhausted(reason: string, message: string, retryMs: number): ConnectError {
  return ferryError(Code.ResourceExhausted, reason, message, [
    { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(retryMs) }) },
  ]);
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
