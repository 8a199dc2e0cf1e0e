// Rich gRPC errors (AIP-193) decoded into typed errors, so callers branch on a
// class instead of digging through status details. Every typed error still is
// a ConnectError (same code, message and details), so code that only knows
// ConnectError keeps working.
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from "../../gen/ts/google/rpc/error_details_pb.js";
import {
  ModelMigratingSchema,
  ModelRedirectSchema,
  type ModelMigrating,
  type ModelRedirect,
} from "../../gen/ts/ferry/v1/errors_pb.js";

export const REASON_MODEL_MIGRATED = "MODEL_MIGRATED";
export const REASON_MODEL_MIGRATING = "MODEL_MIGRATING";

/** A ConnectError with the ErrorInfo reason and metadata lifted out. */
export class FerryError extends ConnectError {
  /** ErrorInfo.reason, e.g. "MODEL_MIGRATED"; "" when the server sent none. */
  readonly reason: string;
  /** ErrorInfo.metadata. */
  readonly info: Record<string, string>;

  constructor(from: ConnectError) {
    super(from.rawMessage, from.code, from.metadata, from.details as never, from.cause);
    // The base constructor replaced details with the outgoing form; keep the
    // incoming ones so findDetails() still decodes them.
    this.details = from.details;
    const info = from.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason ?? "";
    this.info = { ...(info?.metadata ?? {}) };
    // `name` stays "ConnectError": ConnectError's structural instanceof check
    // (used inside connect's own call path) requires it, and without it the
    // runtime would re-wrap our typed error as UNKNOWN.
  }

  // ConnectError's static hasInstance is structural and would be inherited,
  // making every ConnectError look like a RedirectError; use the ordinary
  // prototype-chain check for our subclasses.
  static override [Symbol.hasInstance](v: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, v);
  }
}

/** The model was migrated to another controller; `redirect` says where. */
export class RedirectError extends FerryError {
  readonly redirect: ModelRedirect;
  constructor(from: ConnectError, redirect: ModelRedirect) {
    super(from);
    this.redirect = redirect;
  }
}

/** A write hit a model that is being migrated; retry after `retryDelayMs`. */
export class MigratingError extends FerryError {
  readonly migrating?: ModelMigrating;
  readonly retryDelayMs?: number;
  constructor(from: ConnectError) {
    super(from);
    this.migrating = from.findDetails(ModelMigratingSchema)[0];
    const retry = from.findDetails(RetryInfoSchema)[0]?.retryDelay;
    if (retry) this.retryDelayMs = Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6);
  }
}

export interface Violation {
  /** Stable check code. */
  type: string;
  /** The entity it concerns. */
  subject: string;
  description: string;
}

/** FAILED_PRECONDITION with a PreconditionFailure listing every violation. */
export class PreconditionError extends FerryError {
  readonly violations: Violation[];
  constructor(from: ConnectError) {
    super(from);
    this.violations = from
      .findDetails(PreconditionFailureSchema)
      .flatMap((p) => p.violations.map((v) => ({ type: v.type, subject: v.subject, description: v.description })));
  }
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** INVALID_ARGUMENT with BadRequest field violations. */
export class InvalidArgumentError extends FerryError {
  readonly fieldViolations: FieldViolation[];
  constructor(from: ConnectError) {
    super(from);
    this.fieldViolations = from
      .findDetails(BadRequestSchema)
      .flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  }
}

/** ErrorInfo.reason of a call's error ("" when it has none). */
export function reasonOf(err: ConnectError): string {
  return err instanceof FerryError ? err.reason : (err.findDetails(ErrorInfoSchema)[0]?.reason ?? "");
}

/** "expired" or "revoked" when the controller refused the session token itself; undefined otherwise. */
export function sessionRefusal(err: unknown): "expired" | "revoked" | undefined {
  if (!(err instanceof ConnectError) || err.code !== Code.Unauthenticated) return undefined;
  const reason = reasonOf(err);
  return reason === "TOKEN_EXPIRED" ? "expired" : reason === "INVALID_TOKEN" ? "revoked" : undefined;
}

/**
 * Turn whatever a call threw into the most specific typed error. Errors that
 * are not ConnectErrors (bugs in our own code) pass through untouched so they
 * keep their stack.
 */
export function decodeError(err: unknown): unknown {
  if (err instanceof FerryError || !(err instanceof ConnectError)) return err;
  const info = err.findDetails(ErrorInfoSchema)[0];
  const reason = info?.reason ?? "";
  if (reason === REASON_MODEL_MIGRATED) {
    const redirect = err.findDetails(ModelRedirectSchema)[0];
    if (redirect) return new RedirectError(err, redirect);
  }
  if (reason === REASON_MODEL_MIGRATING) return new MigratingError(err);
  if (err.code === Code.FailedPrecondition) return new PreconditionError(err);
  if (err.code === Code.InvalidArgument) return new InvalidArgumentError(err);
  return new FerryError(err);
}
