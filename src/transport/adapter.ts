// The adapter that serves protobuf-es v2 service descriptors on a grpc-js server.
//
// Services are written against connect's ServiceImpl shapes (the same types the
// connect client uses), so a handler is a plain function of (request, HandlerContext)
// and never sees grpc-js. This file is the only place that knows both sides.
import type { Readable, Writable } from "node:stream";
import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
  type ContextValues,
  type HandlerContext,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { Logger } from "./log.js";
import { checkRequestLimits, precheckWire } from "./limits.js";
import { raceAbort } from "./signals.js";
import { appendHeaders, errorToStatus, metadataToHeaders } from "./status.js";

/** 4 MiB both ways (api.md); anything bigger must be streamed in chunks. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Runs before every handler of a service it is configured for. It may reject the
 * call by throwing a ConnectError (UNAUTHENTICATED, PERMISSION_DENIED, ...) and may
 * put the caller's identity into ctx.values for the handler.
 */
export type Authenticate = (method: DescMethod, headers: Headers, ctx: HandlerContext) => Promise<void> | void;

export interface RegisterOptions {
  logger: Logger;
  authenticate?: Authenticate;
  /** Fresh context values per call (e.g. pre-seeded with the server's drain signal). */
  contextValues?: () => ContextValues;
  /** Aborting it aborts every in-flight handler's ctx.signal (forced shutdown). */
  shutdownSignal?: AbortSignal;
  /** Whether the listener uses TLS; only shapes HandlerContext.url. Defaults to true. */
  tls?: boolean;
  /** Responses larger than this fail with RESOURCE_EXHAUSTED; defaults to 4 MiB. */
  maxSendMessageBytes?: number;
}

type AnyMessage = MessageShape<DescMessage>;
type Incoming = AnyMessage | MalformedRequest;
/** What all four grpc-js call kinds share (grpc-js does not export its name for it). */
type SurfaceCall = Pick<
  grpc.ServerUnaryCall<Incoming, Buffer>,
  "metadata" | "getDeadline" | "getHost" | "getPeer" | "sendMetadata"
> & { once(event: "cancelled", listener: () => void): unknown };
type AnyImpl = Partial<ServiceImpl<DescService>>;

const registered = new WeakMap<grpc.Server, string[]>();

/** Fully-qualified names of the services registered on `server` through this adapter. */
export function registeredServices(server: grpc.Server): readonly string[] {
  return registered.get(server) ?? [];
}

/**
 * Mount `service` on `server`. Every method of the descriptor is routed
 * (`/${service.typeName}/${method.name}`); methods missing from `impl` answer
 * UNIMPLEMENTED.
 */
export function registerService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: Partial<ServiceImpl<S>>,
  opts: RegisterOptions,
): void {
  const spec = createServiceImplSpec(service, impl as AnyImpl);
  const definition: Record<string, grpc.MethodDefinition<Incoming, Buffer>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.localName,
      requestStream: kind === "client_streaming" || kind === "bidi_streaming",
      responseStream: kind === "server_streaming" || kind === "bidi_streaming",
      requestDeserialize: (bytes: Buffer) => decodeRequest(method, bytes),
      requestSerialize: (msg: Incoming) =>
        Buffer.from(msg instanceof MalformedRequest ? new Uint8Array() : toBinary(method.input, msg)),
      // Responses are encoded by the adapter itself (see encode()), so the size
      // limit is enforced where the handler's error path can still report it.
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    };
    handlers[method.localName] = makeHandler(service, spec.methods[method.localName]!, opts);
  }
  server.addService(definition, handlers);
  registered.set(server, [...registeredServices(server), service.typeName]);
}

function makeHandler(service: DescService, spec: MethodImplSpec, opts: RegisterOptions): grpc.UntypedHandleCall {
  const method = spec.method;
  const maxSend = opts.maxSendMessageBytes ?? MAX_MESSAGE_BYTES;
  const encode = (init: unknown): Buffer => {
    const bytes = toBinary(method.output, create(method.output, init as AnyMessage));
    if (bytes.byteLength > maxSend) {
      throw adapterError(
        `response message of ${bytes.byteLength} bytes exceeds the ${maxSend}-byte limit`,
        Code.ResourceExhausted,
        "RESPONSE_TOO_LARGE",
        { bytes: String(bytes.byteLength), limit: String(maxSend) },
      );
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const authenticate = async (ctx: HandlerContext) => {
    if (opts.authenticate) await opts.authenticate(method, ctx.requestHeader, ctx);
  };

  /** Unary and client-streaming calls: authenticate, run, answer with one message or a status. */
  const answerOnce = async (
    call: SurfaceCall,
    callback: grpc.sendUnaryData<Buffer>,
    ctx: ReturnType<typeof startCall>,
    run: () => Promise<unknown>,
  ): Promise<void> => {
    try {
      await authenticate(ctx);
      const out = encode(await raceAbort(run(), ctx.signal));
      sendHeader(call, ctx);
      callback(null, out, appendHeaders(new grpc.Metadata(), ctx.responseTrailer));
    } catch (err) {
      callback(errorToStatus(err, ctx, opts.logger));
    } finally {
      ctx.abort(CALL_ENDED);
    }
  };

  switch (spec.kind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<Incoming, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const ctx = startCall(call, service, method, opts);
        void answerOnce(call, callback, ctx, () => Promise.resolve(spec.impl(checkRequest(call.request), ctx)));
      };
    case "client_streaming":
      return (call: grpc.ServerReadableStream<Incoming, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const ctx = startCall(call, service, method, opts);
        void answerOnce(call, callback, ctx, () =>
          spec.impl(readMessages<AnyMessage>(call as unknown as Readable, ctx.signal), ctx),
        );
      };
    case "server_streaming":
      return (call: grpc.ServerWritableStream<Incoming, Buffer>) => {
        const ctx = startCall(call, service, method, opts);
        void streamOut(
          call,
          ctx,
          opts,
          async () => {
            await authenticate(ctx);
            return spec.impl(checkRequest(call.request), ctx);
          },
          encode,
        );
      };
    case "bidi_streaming":
      return (call: grpc.ServerDuplexStream<Incoming, Buffer>) => {
        const ctx = startCall(call, service, method, opts);
        void streamOut(
          call,
          ctx,
          opts,
          async () => {
            await authenticate(ctx);
            return spec.impl(readMessages<AnyMessage>(call as unknown as Readable, ctx.signal), ctx);
          },
          encode,
        );
      };
  }
}

/**
 * The errors the adapter itself raises carry a google.rpc.ErrorInfo like every
 * service error (api.md), in the same domain as services/errors.ts's
 * ERROR_DOMAIN (repeated, not imported: the transport knows nothing of services).
 */
const ERROR_DOMAIN = "ferry.v1";

function adapterError(
  message: string,
  code: Code,
  reason: string,
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) },
  ]);
}

/**
 * A request that failed to decode. grpc-js would answer a throwing deserializer with
 * INTERNAL, but a malformed message is the caller's fault (api.md: never INTERNAL
 * for something the caller did), so decoding never throws and the adapter answers
 * INVALID_ARGUMENT instead, through the normal error path.
 */
class MalformedRequest {
  constructor(readonly error: ConnectError) {}
}

function decodeRequest(method: DescMethod, bytes: Buffer): AnyMessage | MalformedRequest {
  try {
    const early = precheckWire(method.input, bytes);
    if (early) return new MalformedRequest(early);
    const msg = fromBinary(method.input, bytes);
    // Every message of every call, streams included, before any handler runs.
    const over = checkRequestLimits(method.input, msg);
    return over ? new MalformedRequest(over) : msg;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return new MalformedRequest(
      adapterError(
        `request is not a valid ${method.input.typeName}: ${reason}`,
        Code.InvalidArgument,
        "MALFORMED_REQUEST",
      ),
    );
  }
}

function checkRequest<T>(request: T | MalformedRequest): T {
  if (request instanceof MalformedRequest) throw request.error;
  return request;
}

/**
 * The reason ctx.signal carries once a call has been answered (the signal ends
 * the handler's leftover work). One shared object: every call ends this way,
 * and building an error (or the DOMException abort() makes without a reason)
 * captures a stack, which measured about 3% of a GetStatus call.
 */
const CALL_ENDED = new ConnectError("the call has ended", Code.Canceled);

/** Build the HandlerContext for a call and wire client cancellation into its signal. */
function startCall(call: SurfaceCall, service: DescService, method: DescMethod, opts: RegisterOptions) {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const cancelled = new AbortController();
  call.once("cancelled", () => {
    // grpc-js reports every finished call as cancelled too, just after its
    // status went out; by then the adapter has ended the context, and there is
    // nobody left to tell (nor an error worth building).
    if (ctx.signal.aborted) return;
    // grpc-js ends the call itself when the deadline passes, and that surfaces here
    // too, possibly before our own deadline timer fires: name the real cause.
    const expired = Date.now() >= deadlineMs;
    cancelled.abort(
      expired
        ? new ConnectError("the call's deadline was exceeded", Code.DeadlineExceeded)
        : new ConnectError("the call was cancelled by the client", Code.Canceled),
    );
  });
  const ctx = createHandlerContext({
    service,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: `${opts.tls === false ? "http" : "https"}://${call.getHost()}/${service.typeName}/${method.name}`,
    // grpc-js enforces the deadline on the wire; this makes ctx.signal fire at the
    // same moment so the handler's downstream work stops too.
    timeoutMs: Number.isFinite(deadlineMs) ? Math.max(0, deadlineMs - Date.now()) : undefined,
    requestSignal: cancelled.signal,
    shutdownSignal: opts.shutdownSignal,
    requestHeader: metadataToHeaders(call.metadata),
    contextValues: (opts.contextValues?.() ?? createContextValues()).set(peerAddressKey, peerHost(call.getPeer())),
  });
  return ctx;
}

/** The caller's address without its port ("127.0.0.1", "::1"); "" when unknown. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

/** "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" / "127.0.0.1:5000" -> the address alone. */
function peerHost(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\]/.exec(p);
  if (bracketed) return bracketed[1]!;
  const i = p.lastIndexOf(":");
  return i > 0 && p.indexOf(":") === i ? p.slice(0, i) : p;
}

/** Response headers are optional; only send them when the handler set some. */
function sendHeader(call: SurfaceCall, ctx: HandlerContext): void {
  const md = appendHeaders(new grpc.Metadata(), ctx.responseHeader);
  if (Object.keys(md.toJSON()).length > 0) call.sendMetadata(md);
}

type WritableCall = (grpc.ServerWritableStream<Incoming, Buffer> | grpc.ServerDuplexStream<Incoming, Buffer>) &
  Writable;

async function streamOut(
  call: grpc.ServerWritableStream<Incoming, Buffer> | grpc.ServerDuplexStream<Incoming, Buffer>,
  ctx: HandlerContext & { abort(reason?: unknown): void },
  opts: RegisterOptions,
  start: () => Promise<AsyncIterable<unknown>>,
  encode: (init: unknown) => Buffer,
): Promise<void> {
  const stream = call as WritableCall;
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    iterator = (await start())[Symbol.asyncIterator]();
    let headerSent = false;
    for (;;) {
      // Racing against the signal means a handler blocked on something that ignores
      // ctx.signal still cannot keep a cancelled call (and its memory) alive.
      const next = await raceAbort(iterator.next(), ctx.signal);
      if (next.done) break;
      const out = encode(next.value);
      if (!headerSent) {
        sendHeader(call, ctx);
        headerSent = true;
      }
      if (!stream.write(out)) await once(stream, "drain", { signal: ctx.signal });
    }
    if (!headerSent) sendHeader(call, ctx);
    call.end(appendHeaders(new grpc.Metadata(), ctx.responseTrailer));
  } catch (err) {
    // grpc-js turns an 'error' event on a server stream into the call's status.
    stream.emit("error", errorToStatus(err, ctx, opts.logger));
    // Let the handler's finally blocks run (release watchers, close cursors).
    void iterator?.return?.().catch(() => undefined);
  } finally {
    ctx.abort(CALL_ENDED);
  }
}

/**
 * The request stream as an AsyncIterable for the handler. Ends with the signal's
 * reason when the call is cancelled, instead of hanging on a stream that will
 * never produce again.
 */
async function* readMessages<T>(stream: Readable, signal: AbortSignal): AsyncGenerator<T> {
  // destroyOnReturn: false — by default Node destroys the stream when its iterator
  // finishes, even on a normal end of input; for a bidi call that would tear down
  // the response half before the handler has written its answers.
  const it = stream.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
  for (;;) {
    const next = await raceAbort(withIdleLimit(it.next()), signal);
    if (next.done) return;
    yield checkRequest(next.value as T | MalformedRequest);
  }
}

/**
 * How long a client stream may send nothing (issue 11): an upload left open
 * must not hold its buffers for ever. FERRY_STREAM_IDLE_MS for tests.
 */
export const STREAM_IDLE_DEFAULT_MS = 60_000;
export const STREAM_IDLE_MS = Number(process.env.FERRY_STREAM_IDLE_MS) || STREAM_IDLE_DEFAULT_MS;

function withIdleLimit<T>(next: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          adapterError(
            `the client sent nothing for ${Math.round(STREAM_IDLE_MS / 1000)} s; the stream is closed`,
            Code.DeadlineExceeded,
            "STREAM_IDLE",
          ),
        ),
      STREAM_IDLE_MS,
    );
    timer.unref();
  });
  return Promise.race([next, idle]).finally(() => clearTimeout(timer));
}
