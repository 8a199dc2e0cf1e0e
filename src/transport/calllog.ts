// One structured record per RPC: method, status, duration, peer. Implemented as a
// grpc-js server interceptor (not inside the adapter) so that calls the adapter
// never sees — unknown methods, requests grpc-js rejects — are still counted.
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
}

export type CallLogHook = (record: CallRecord) => void;

/**
 * A grpc-js server interceptor reporting every finished call to `hook`.
 *
 * A call that ends without the handler sending a status (client cancel, deadline,
 * or a status grpc-js sent itself, such as RESOURCE_EXHAUSTED for an oversized
 * request) is reported as CANCELLED, or DEADLINE_EXCEEDED if its deadline passed:
 * grpc-js does not route its own statuses through interceptors.
 */
export function callLogInterceptor(hook: CallLogHook): grpc.ServerInterceptor {
  return (methodDescriptor, call) => {
    const started = performance.now();
    let reported = false;
    const report = (code: number) => {
      if (reported) return;
      reported = true;
      try {
        hook({
          method: methodDescriptor.path,
          code,
          status: grpc.status[code] ?? String(code),
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          peer: call.getPeer(),
        });
      } catch {
        // Logging must never affect the call.
      }
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onCancel() {
            const deadline = call.getDeadline();
            const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
            report(deadlineMs <= Date.now() ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        });
      },
      sendStatus(status, next) {
        report(status.code);
        next(status);
      },
    });
  };
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
    ) logger.warn("rpc", fields);
    else logger.info("rpc", fields);
  };
}
