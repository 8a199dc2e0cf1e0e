// One structured record per RPC: method, status, duration, peer, and the
// caller's deadline when it set one (so "DEADLINE_EXCEEDED after 10 ms" reads as
// a client that gave too little time, not a slow server). For gRPC it is a
// grpc-js server interceptor (not inside the adapter) so that calls the adapter
// never sees — unknown methods, requests grpc-js rejects — are still counted; the
// Connect/gRPC-Web listener (connect-protocol.ts) reports through track().
//
// Deliberately no headers and no messages: they carry bearer tokens and user data.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./log.js";

export interface CallRecord {
  /** "/package.Service/Method" */
  method: string;
  /** Numeric gRPC status code. */
  code: number;
  /** Its canonical name, e.g. "RESOURCE_EXHAUSTED". */
  status: string;
  durationMs: number;
  /** "ip:port" of the caller. */
  peer: string;
  /** The time the caller gave the call (its deadline as it arrived), when it set one. */
  timeoutMs?: number;
}

export type CallLogHook = (record: CallRecord) => void;

/**
 * Tracks calls for the log hook and for shutdown: a call is active from the moment
 * grpc-js routes it until its status is sent (or it is cancelled).
 */
export interface CallTracker {
  /** Install on the grpc-js server (ServerOptions.interceptors). */
  interceptor: grpc.ServerInterceptor;
  /**
   * Count a call that does not go through grpc-js (Connect, gRPC-Web). Returns the
   * function that ends it with its gRPC status code; only its first call counts.
   */
  track(method: string, peer: string, timeoutMs?: number): (code: number) => void;
  /** Calls whose status has not been sent yet. */
  active(): number;
  /** Resolves when no call is active. */
  whenIdle(): Promise<void>;
}

/**
 * A client whose deadline passes resets the stream (RST_STREAM CANCEL) at its
 * own deadline, which is our deadline minus the time the request took to
 * arrive, so the reset often lands just before our deadline timer fires. A
 * cancel this close to the deadline (at most half the call's time) is that
 * client's deadline.
 */
const DEADLINE_SLACK_MS = 25;

/** Milliseconds until a grpc-js deadline (Date, ms since epoch, or Infinity for none). */
function remainingMs(deadline: grpc.Deadline): number {
  return (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
}

/**
 * A grpc-js server interceptor reporting every finished call to `hook`.
 *
 * A call that ends without the handler sending a status (client cancel, deadline,
 * or a status grpc-js sent itself, such as RESOURCE_EXHAUSTED for an oversized
 * request) is reported as CANCELLED, or DEADLINE_EXCEEDED if its deadline passed:
 * grpc-js does not route its own statuses through interceptors.
 */
export function createCallTracker(hook: CallLogHook): CallTracker {
  let active = 0;
  let idleWaiters: (() => void)[] = [];
  const track = (method: string, peer: string, timeoutMs?: number) => {
    const started = performance.now();
    let reported = false;
    active++;
    return (code: number) => {
      if (reported) return;
      reported = true;
      if (--active === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
      try {
        hook({
          method,
          code,
          status: grpc.status[code] ?? String(code),
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          peer,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
      } catch {
        // Logging must never affect the call.
      }
    };
  };
  const interceptor: grpc.ServerInterceptor = (methodDescriptor, call) => {
    // grpc-js has parsed grpc-timeout by now.
    const timeout = remainingMs(call.getDeadline());
    const timeoutMs = Number.isFinite(timeout) ? Math.max(0, Math.round(timeout)) : undefined;
    const report = track(methodDescriptor.path, call.getPeer(), timeoutMs);
    const slack = Math.min(DEADLINE_SLACK_MS, (timeoutMs ?? Infinity) / 2);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onCancel() {
            const expired = remainingMs(call.getDeadline()) <= slack;
            report(expired ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        });
      },
      sendStatus(status, next) {
        report(status.code);
        next(status);
      },
    });
  };
  return {
    interceptor,
    track,
    active: () => active,
    whenIdle: () => (active === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
  };
}

/** Just the interceptor, for servers built without startServer. */
export function callLogInterceptor(hook: CallLogHook): grpc.ServerInterceptor {
  return createCallTracker(hook).interceptor;
}

/**
 * The default hook: successful calls at debug (high volume, low value), failures at
 * info, and the codes that mean "our bug" (INTERNAL, UNKNOWN, DATA_LOSS) at warn.
 */
export function loggingCallHook(logger: Logger): CallLogHook {
  return (record) => {
    const fields = { ...record };
    if (record.code === grpc.status.OK) logger.debug("rpc", fields);
    else if (
      record.code === grpc.status.INTERNAL ||
      record.code === grpc.status.UNKNOWN ||
      record.code === grpc.status.DATA_LOSS
    )
      logger.warn("rpc", fields);
    else logger.info("rpc", fields);
  };
}
