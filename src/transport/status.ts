// Translation between the two worlds the adapter bridges: connect's Headers and
// ConnectError on the handler side, grpc-js Metadata and status objects on the wire.
import * as grpc from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import type { Logger } from "./log.js";

/** What the caller sees for any failure that is our bug, not theirs. */
export const INTERNAL_ERROR_MESSAGE = "internal error (see controller log)";

export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/**
 * Headers owned by the gRPC protocol itself. Handlers must not be able to forge
 * them through responseHeader/responseTrailer or ConnectError.metadata, or a
 * handler could make a failed call look successful.
 */
const protocolHeaders = new Set([
  "grpc-status",
  "grpc-message",
  STATUS_DETAILS_KEY,
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "content-type",
  "content-length",
  "te",
  "trailer",
  "transfer-encoding",
  "connection",
]);

export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/**
 * grpc-js metadata as a fetch-style Headers object (what HandlerContext.requestHeader
 * is). Binary ("-bin") values become base64, which is how connect represents them
 * (decode with connect's decodeBinaryHeader).
 */
export function metadataToHeaders(md: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(md.toJSON())) {
    for (const value of values) {
      const text = typeof value === "string" ? value : Buffer.from(value).toString("base64");
      try {
        headers.append(key, text);
      } catch {
        // A value fetch's Headers rejects (e.g. non-Latin-1) cannot be represented;
        // dropping it beats failing the call for a header nobody asked for.
      }
    }
  }
  return headers;
}

/** Copy Headers into grpc-js Metadata, skipping protocol-owned names. */
export function appendHeaders(md: grpc.Metadata, headers: Headers): grpc.Metadata {
  for (const [key, value] of headers) {
    if (protocolHeaders.has(key) || key.startsWith(":")) continue;
    if (key.endsWith("-bin")) {
      // Headers joins repeated values with ", "; base64 never contains either.
      for (const part of value.split(",")) md.add(key, Buffer.from(part.trim(), "base64"));
    } else {
      md.add(key, value);
    }
  }
  return md;
}

/**
 * The error a caller gets for `err`, thrown by a handler (or the authenticate hook).
 *
 * A ConnectError is the handler's deliberate answer and is kept as it is. Work
 * cancelled through ctx.signal typically rejects with a DOMException AbortError;
 * the signal's reason says why (deadline, client cancel, shutdown). Anything else
 * is a bug: it is logged with its stack and the caller gets INTERNAL with a
 * generic message, so no internals leak onto the wire.
 */
export function toConnectError(
  err: unknown,
  ctx: Pick<HandlerContext, "signal" | "service" | "method">,
  logger: Logger,
): ConnectError {
  if (err instanceof ConnectError) return err;
  if (ctx.signal.aborted && ctx.signal.reason instanceof ConnectError) return ctx.signal.reason;
  logger.error("rpc handler failed", { method: methodPath(ctx), error: err });
  return new ConnectError(INTERNAL_ERROR_MESSAGE, Code.Internal);
}

/**
 * The gRPC status for an error thrown by a handler (or the authenticate hook),
 * see toConnectError.
 *
 * The ConnectError's code and message go to the caller verbatim, with
 * `grpc-status-details-bin` carrying a google.rpc.Status whose code and message
 * equal the call's and whose details are the error's details (the AIP-193 "rich
 * error" model that connect, grpc-go and grpcurl all read).
 */
export function errorToStatus(err: unknown, ctx: HandlerContext, logger: Logger): GrpcStatus {
  const error = toConnectError(err, ctx, logger);

  const metadata = new grpc.Metadata();
  // On error the response is trailers-only, so headers the handler set go there too.
  appendHeaders(metadata, ctx.responseHeader);
  appendHeaders(metadata, ctx.responseTrailer);
  appendHeaders(metadata, error.metadata);

  const status = create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: packDetails(error, logger, ctx),
  });
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
  return { code: error.code as number as grpc.status, details: error.rawMessage, metadata };
}

function packDetails(error: ConnectError, logger: Logger, ctx: HandlerContext): Any[] {
  const out: Any[] = [];
  for (const detail of error.details) {
    try {
      if ("desc" in detail) {
        out.push(anyPack(detail.desc, create(detail.desc, detail.value)));
      } else {
        // Already encoded, e.g. relayed from an upstream controller's error.
        out.push(create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value }));
      }
    } catch (err) {
      // A malformed detail must not turn a deliberate error into a different one.
      logger.warn("dropping unencodable error detail", { method: methodPath(ctx), error: err });
    }
  }
  return out;
}

export function methodPath(ctx: { service: { typeName: string }; method: { name: string } }): string {
  return `/${ctx.service.typeName}/${ctx.method.name}`;
}
