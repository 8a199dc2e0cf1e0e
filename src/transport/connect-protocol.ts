// The Connect protocol (and gRPC-Web) on the gRPC port.
//
// buf curl speaks Connect by default, browsers can only speak Connect or gRPC-Web,
// and Connect unary calls are plain HTTP POSTs that `curl` can make. grpc-js
// answers every request whose content-type is not application/grpc* with HTTP 415,
// so this module takes over the routing of grpc-js's HTTP/2 server(s):
//
//   - a request with content-type application/grpc (but not application/grpc-web)
//     goes to grpc-js exactly as before;
//   - everything else goes to Node's HTTP/2 compatibility layer and on to a
//     connect router (@connectrpc/connect), on which the same service
//     implementations are mounted, wrapped with the same authenticate hook,
//     context values (principal, draining signal), limits, error rules and call
//     log as the grpc-js adapter (adapter.ts).
//
// HTTP/1.1 (TLS only): the listener also offers "http/1.1" in ALPN, and connections
// that negotiate it are served by an unlistened node:http server fed the TLS
// sockets. Connect unary and server-streaming calls work over HTTP/1.1; client and
// bidi streams need HTTP/2 (a Connect limitation, not ours). The plaintext debug
// listener (insecure mode) is HTTP/2 only (h2c with prior knowledge).
//
// This relies on grpc-js internals (the private `http2Servers` map, its single
// 'stream' listener) and on the secure server's `ALPNProtocols` property; every
// access is checked, and when something is not as expected the server logs a
// warning and keeps serving gRPC only (or HTTP/2 only).
import { EventEmitter } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { create, toBinary, type DescMessage, type DescService, type Message } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createServiceImplSpec,
  createContextValues,
  type ContextValues,
  type HandlerContext,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  codeFromHttpStatus,
  codeFromString,
  parseTimeout as parseConnectTimeout,
} from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { MAX_MESSAGE_BYTES, peerAddressKey, type Authenticate } from "./adapter.js";
import { checkRequestLimits } from "./limits.js";
import type { CallTracker } from "./calllog.js";
import type { Logger } from "./log.js";
import { raceAbort } from "./signals.js";
import { methodPath, toConnectError } from "./status.js";

/** One service as mounted on the grpc-js server, to mount on the connect router too. */
export interface ConnectMount {
  service: DescService;
  impl: object;
  /** Runs before every call of this service (as for gRPC). */
  authenticate?: Authenticate;
}

export interface ConnectProtocolOptions {
  mounts: readonly ConnectMount[];
  logger: Logger;
  /** The grpc-js server's call tracker: Connect calls are logged and awaited on shutdown like gRPC ones. */
  tracker: CallTracker;
  /** Fresh context values per call (the same function the grpc-js adapter uses). */
  contextValues?: () => ContextValues;
  /** Aborting it aborts every in-flight handler's ctx.signal (forced shutdown). */
  shutdownSignal?: AbortSignal;
  /** Serve Connect over HTTP/1.1 too (TLS listeners only). Defaults to true. */
  http1?: boolean;
  /** Both ways; defaults to 4 MiB like gRPC. */
  maxMessageBytes?: number;
}

export interface ConnectProtocol {
  /** Whether HTTP/1.1 clients are served (false: HTTP/2 only). */
  readonly http1: boolean;
  /** Server draining: close idle HTTP/1.1 connections, and the others after their current response. */
  drain(): void;
  /** Forced shutdown: destroy every HTTP/1.1 connection (HTTP/2 ones belong to grpc-js). */
  close(): void;
}

type H2Server = http2.Http2Server | http2.Http2SecureServer;
type Listener = (...args: unknown[]) => unknown;
type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
type AnyImpl = Partial<ServiceImpl<DescService>>;

/** grpc-js's HTTP/2 servers, or undefined if its internals are not what this module expects. */
function http2ServersOf(server: grpc.Server): H2Server[] | undefined {
  const map = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(map instanceof Map) || map.size === 0) return undefined;
  const servers: H2Server[] = [];
  for (const key of map.keys()) {
    if (!(key instanceof net.Server) || !(key instanceof EventEmitter)) return undefined;
    servers.push(key as H2Server);
  }
  return servers;
}

/**
 * Serve Connect and gRPC-Web on `server`'s bound port(s). Call after bindAsync.
 * Returns undefined (after logging a warning) when grpc-js's internals cannot be
 * hooked; the server then keeps serving gRPC only.
 */
export function serveConnectProtocol(server: grpc.Server, opts: ConnectProtocolOptions): ConnectProtocol | undefined {
  const { logger } = opts;
  const h2servers = http2ServersOf(server);
  if (!h2servers) {
    logger.warn("cannot hook the Connect protocol into grpc-js (internals changed?); serving gRPC only");
    return undefined;
  }
  const maxBytes = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const router = createConnectRouter({
    connect: true,
    grpcWeb: true,
    // gRPC requests never reach the router: grpc-js serves them.
    grpc: false,
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
    shutdownSignal: opts.shutdownSignal,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  for (const mount of opts.mounts) {
    router.service(mount.service, wrapService(mount, logger));
  }
  const routes = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  const handle = createRequestHandler(routes, opts);

  // grpc-js tracks idle connections by counting the streams it sees; count ours too
  // (private, and only relevant with grpc.max_connection_idle_ms set).
  const onStreamOpened = (server as unknown as { onStreamOpened?: unknown }).onStreamOpened;
  const countStream =
    typeof onStreamOpened === "function"
      ? (stream: http2.ServerHttp2Stream) => {
          try {
            onStreamOpened.call(server, stream);
          } catch {
            // Idle accounting is best effort.
          }
        }
      : () => undefined;

  let http1: Http1Listener | undefined;
  let hooked = 0;
  for (const h2 of h2servers) {
    if (!installDispatcher(h2, handle, countStream)) continue;
    hooked++;
    if (opts.http1 !== false && h2 instanceof tls.Server) {
      http1 ??= createHttp1Listener(handle);
      if (!offerHttp1(h2, http1)) {
        logger.warn("cannot offer HTTP/1.1 on the TLS listener; Connect is served over HTTP/2 only");
      }
    }
  }
  if (hooked === 0) {
    logger.warn("cannot hook the Connect protocol into grpc-js (internals changed?); serving gRPC only");
    return undefined;
  }
  const h1 = http1?.offered ? http1 : undefined;
  return {
    http1: !!h1,
    drain: () => h1?.drain(),
    close: () => h1?.close(),
  };
}

/**
 * Replace grpc-js's 'stream' listener with a dispatcher by content-type. Adding a
 * 'request' listener makes Node's compatibility layer add its own 'stream'
 * listener (the one that builds request/response objects); it gets the rest.
 */
function installDispatcher(
  h2: H2Server,
  handle: (req: NodeRequest, res: NodeResponse) => void,
  countStream: (stream: http2.ServerHttp2Stream) => void,
): boolean {
  const grpcListeners = h2.listeners("stream") as Listener[];
  if (grpcListeners.length === 0 || h2.listenerCount("request") > 0) return false;
  h2.on("request", handle);
  const compat = (h2.listeners("stream") as Listener[]).filter((l) => !grpcListeners.includes(l));
  if (compat.length !== 1) {
    h2.off("request", handle);
    for (const l of compat) h2.off("stream", l);
    return false;
  }
  const toCompat = compat[0]!;
  h2.removeAllListeners("stream");
  h2.on("stream", function dispatch(this: H2Server, ...args: unknown[]) {
    const [stream, headers] = args as [http2.ServerHttp2Stream, http2.IncomingHttpHeaders];
    const contentType = String(headers["content-type"] ?? "").toLowerCase();
    if (contentType.startsWith("application/grpc") && !contentType.startsWith("application/grpc-web")) {
      for (const l of grpcListeners) l.apply(this, args);
    } else {
      countStream(stream);
      toCompat.apply(this, args);
    }
  });
  return true;
}

// ---------------------------------------------------------------------------
// Service implementations: the same rules as the grpc-js adapter.

/**
 * The impl as the connect router runs it: authenticate first, cancellable waits,
 * errors mapped like the adapter's (a bug becomes a logged, generic INTERNAL), and
 * protocol-owned response headers out of the handler's reach. Methods missing from
 * the impl answer UNIMPLEMENTED (after authentication, as over gRPC).
 */
function wrapService(mount: ConnectMount, logger: Logger): AnyImpl {
  const spec = createServiceImplSpec(mount.service, mount.impl as AnyImpl);
  const wrapped: Record<string, unknown> = {};
  for (const method of mount.service.methods) {
    wrapped[method.localName] = wrapMethod(spec.methods[method.localName]!, mount.authenticate, logger);
  }
  return wrapped as AnyImpl;
}

type Impl<A, R> = (input: A, ctx: HandlerContext) => R;

function limitsOrThrow(desc: DescMessage, msg: unknown): void {
  const over = checkRequestLimits(desc, msg as Message);
  if (over) throw over;
}

async function* checkedEach(input: AsyncIterable<unknown>, desc: DescMessage): AsyncIterable<unknown> {
  for await (const m of input) {
    limitsOrThrow(desc, m);
    yield m;
  }
}

function wrapMethod(spec: MethodImplSpec, authenticate: Authenticate | undefined, logger: Logger): unknown {
  const method = spec.method;
  const auth = async (ctx: HandlerContext) => {
    if (authenticate) await authenticate(method, ctx.requestHeader, ctx);
  };
  const fail = (err: unknown, ctx: HandlerContext) => callerError(err, ctx, logger);

  switch (spec.kind) {
    case "unary":
    case "client_streaming": {
      const impl = spec.impl as Impl<unknown, unknown>;
      const streamed = spec.kind === "client_streaming";
      return async (input: unknown, ctx: HandlerContext) => {
        const restore = guardProtocolHeaders(ctx);
        try {
          // The same request limits as the gRPC path, before any work.
          if (!streamed) limitsOrThrow(method.input, input);
          await auth(ctx);
          const arg = streamed
            ? checkedEach(abortable(input as AsyncIterable<unknown>, ctx.signal), method.input)
            : input;
          return await raceAbort(Promise.resolve(impl(arg, ctx)), ctx.signal);
        } catch (err) {
          throw fail(err, ctx);
        } finally {
          restore();
        }
      };
    }
    case "server_streaming":
    case "bidi_streaming": {
      const impl = spec.impl as Impl<unknown, AsyncIterable<unknown>>;
      const streamed = spec.kind === "bidi_streaming";
      return async function* (input: unknown, ctx: HandlerContext) {
        const restore = guardProtocolHeaders(ctx);
        let it: AsyncIterator<unknown> | undefined;
        let finished = false;
        try {
          if (!streamed) limitsOrThrow(method.input, input);
          await auth(ctx);
          const arg = streamed
            ? checkedEach(abortable(input as AsyncIterable<unknown>, ctx.signal), method.input)
            : input;
          it = impl(arg, ctx)[Symbol.asyncIterator]();
          for (;;) {
            // As in the adapter: a handler blocked on something that ignores
            // ctx.signal cannot keep a cancelled call alive.
            const next = await raceAbort(it.next(), ctx.signal);
            if (next.done) break;
            // Headers go out with the first message: restore before each one.
            restore();
            yield next.value;
          }
          finished = true;
        } catch (err) {
          throw fail(err, ctx);
        } finally {
          restore();
          // Cancelled, failed or abandoned: let the handler's finally blocks run.
          if (!finished) void it?.return?.()?.catch(() => undefined);
        }
      };
    }
  }
}

/** The request stream, ending with the signal's reason when the call is cancelled. */
async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    const next = await raceAbort(it.next(), signal);
    if (next.done) return;
    yield next.value;
  }
}

/** Headers the Connect and gRPC-Web protocols own; handlers must not forge them. */
function isProtocolHeader(name: string): boolean {
  return (
    protocolHeaderNames.has(name) ||
    name.startsWith("connect-") ||
    name.startsWith("grpc-") ||
    name.startsWith("trailer-") ||
    name.startsWith(":")
  );
}
const protocolHeaderNames = new Set([
  "content-type",
  "content-encoding",
  "content-length",
  "accept-encoding",
  "te",
  "trailer",
  "transfer-encoding",
  "connection",
]);

/** Snapshot the protocol-owned response headers the router set; the returned function puts them back. */
function guardProtocolHeaders(ctx: HandlerContext): () => void {
  const saved = [ctx.responseHeader, ctx.responseTrailer].map(
    (h) => [h, [...h].filter(([k]) => isProtocolHeader(k))] as const,
  );
  return () => {
    for (const [h, entries] of saved) {
      for (const key of [...h.keys()]) if (isProtocolHeader(key)) h.delete(key);
      for (const [key, value] of entries) h.set(key, value);
    }
  };
}

/**
 * What the caller gets for a failed call: toConnectError's rules (shared with the
 * gRPC path), minus protocol-owned metadata and minus details that cannot be
 * encoded (which would otherwise turn the error into a different one).
 */
function callerError(err: unknown, ctx: HandlerContext, logger: Logger): ConnectError {
  const error = toConnectError(err, ctx, logger);
  const details = error.details.filter((detail) => {
    if (!("desc" in detail)) return true;
    try {
      toBinary(detail.desc, create(detail.desc, detail.value));
      return true;
    } catch (e) {
      logger.warn("dropping unencodable error detail", { method: methodPath(ctx), error: e });
      return false;
    }
  });
  const forged = [...error.metadata.keys()].some(isProtocolHeader);
  if (details.length === error.details.length && !forged) return error;
  const metadata = new Headers([...error.metadata].filter(([k]) => !isProtocolHeader(k)));
  const sanitized = new ConnectError(error.rawMessage, error.code, metadata, undefined, error.cause);
  sanitized.details = details;
  return sanitized;
}

// ---------------------------------------------------------------------------
// Requests: routing, call log, status observation.

function peerOf(req: NodeRequest): string {
  const socket = req.socket as net.Socket | undefined;
  if (!socket?.remoteAddress) return "unknown";
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
}

/** The caller's timeout, from connect-timeout-ms (Connect) or grpc-timeout (gRPC-Web), for the call log. */
function timeoutOf(req: NodeRequest): number | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === "string" ? v : null;
  };
  const connect = header("connect-timeout-ms");
  const t =
    connect !== null
      ? parseConnectTimeout(connect, 2 ** 31).timeoutMs
      : parseGrpcTimeout(header("grpc-timeout"), 2 ** 31).timeoutMs;
  return t === undefined ? undefined : Math.round(t);
}

function createRequestHandler(
  routes: Map<string, UniversalHandler>,
  opts: ConnectProtocolOptions,
): (req: NodeRequest, res: NodeResponse) => void {
  const { logger, tracker } = opts;
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const report = tracker.track(path, peerOf(req), timeoutOf(req));
    let code: number | undefined;
    // The call is over once its response has been sent in full, as for gRPC (the
    // tracker hears of grpc-js calls at sendStatus), or when the stream closes
    // before that (the client went away). A client may keep its request side open
    // after that; it does not make the call active.
    res.once("close", () => report(code ?? Code.Canceled));
    if ("stream" in req) {
      // HTTP/2: the compat response's own 'finish' only comes when the stream
      // closes, so watch the stream's (END_STREAM sent).
      const stream = req.stream;
      stream.once("finish", () => {
        report(code ?? Code.Canceled);
        // Let a client that is still sending (a body rejected as too large, a bidi
        // stream the handler finished early) finish: nobody reads the rest, and
        // flow control would otherwise stall it. (Resetting the stream instead
        // makes connect clients report the failed upload rather than the response.)
        if (!req.complete && !stream.destroyed) req.resume();
      });
    } else {
      res.once("finish", () => report(code ?? Code.Canceled));
    }
    const setCode = (c: number) => (code = c);

    const route = routes.get(path);
    if (!route) {
      code = Code.Unimplemented;
      answerUnimplemented(req, res, path);
      return;
    }
    let uReq;
    try {
      // The peer's address, as the gRPC path gives it (login throttling keys on it).
      const values = (opts.contextValues?.() ?? createContextValues()).set(
        peerAddressKey,
        req.socket?.remoteAddress?.replace(/^::ffff:/, "") ?? "",
      );
      uReq = withCancelReason(universalRequestFromNodeRequest(req, res, undefined, values));
    } catch {
      // No :authority / Host: not a request a Connect client makes.
      code = Code.InvalidArgument;
      res.writeHead(400);
      res.end();
      return;
    }
    route(uReq)
      .then((uRes) => universalResponseToNodeResponse(observe(uRes, setCode), res))
      .catch((reason: unknown) => {
        const err = ConnectError.from(reason);
        // Writing failed because the client went away: nothing left to answer.
        if (err.code === Code.Aborted || err.code === Code.Canceled) return;
        logger.error("connect handler failed", { method: path, error: reason });
        if (!res.headersSent) {
          code = Code.Internal;
          res.writeHead(500);
          res.end();
        } else {
          res.destroy();
        }
      });
  };
}

/**
 * When the client goes away, connect-node aborts the request signal without a
 * reason, or with a code derived from the HTTP/2 reset code (INTERNAL when a
 * connect client gives up at its own deadline). Either way the client cancelled
 * the call: handlers see ConnectError(CANCELED), as with the grpc-js adapter, so
 * their errors map to CANCELED instead of looking like bugs. (The server's own
 * deadline timer aborts ctx.signal with DEADLINE_EXCEEDED independently.)
 */
function withCancelReason(uReq: UniversalServerRequest): UniversalServerRequest {
  const cancelled = new AbortController();
  const onAbort = () => cancelled.abort(new ConnectError("the call was cancelled by the client", Code.Canceled));
  if (uReq.signal.aborted) onAbort();
  else uReq.signal.addEventListener("abort", onAbort, { once: true });
  return { ...uReq, signal: cancelled.signal };
}

const unimplementedMessage = (path: string) => `The server does not implement the method ${path}`;

/**
 * Unknown path: a Connect error (HTTP 404, which Connect clients read as
 * UNIMPLEMENTED, with the JSON error body for curl users), or for gRPC-Web a
 * trailers-only UNIMPLEMENTED.
 */
function answerUnimplemented(req: NodeRequest, res: NodeResponse, path: string): void {
  const contentType = String(req.headers["content-type"] ?? "");
  const message = unimplementedMessage(path);
  if (contentType.toLowerCase().startsWith("application/grpc-web")) {
    res.writeHead(200, {
      "content-type": contentType,
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": encodeURIComponent(message),
    });
    res.end();
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ code: "unimplemented", message }));
}

/**
 * Pass the response through, noting the gRPC status code it carries once its
 * body has been produced: from the JSON error body of a Connect unary error, from
 * the end-of-stream message of a Connect stream, from the trailer frame of a
 * gRPC-Web response. Nothing is buffered except a unary error body.
 */
function observe(uRes: UniversalServerResponse, setCode: (code: number) => void): UniversalServerResponse {
  const header = uRes.header ?? new Headers();
  const body = uRes.body;
  if (uRes.status !== 200) {
    const fromStatus = codeForHttpStatus(uRes.status);
    if (!body) {
      setCode(fromStatus);
      return uRes;
    }
    return {
      ...uRes,
      body: tap(body, "all", (chunks) => setCode(unaryErrorCode(chunks, header.get("content-encoding")) ?? fromStatus)),
    };
  }
  const contentType = header.get("content-type") ?? "";
  const connectStream = contentType.startsWith("application/connect+");
  if (connectStream || contentType.startsWith("application/grpc-web")) {
    const encoding = header.get(connectStream ? "connect-content-encoding" : "grpc-encoding");
    if (!body) {
      setCode(Code.Unknown);
      return uRes;
    }
    return {
      ...uRes,
      body: tap(body, "last", (chunks) => setCode(endOfStreamCode(chunks[0], connectStream, encoding) ?? Code.Unknown)),
    };
  }
  // A successful Connect unary response.
  if (!body) {
    setCode(0);
    return uRes;
  }
  return { ...uRes, body: tap(body, "none", () => setCode(0)) };
}

/** `body`, calling `onEnd` with the kept chunks when it is exhausted; throw/return pass through. */
function tap(
  body: AsyncIterable<Uint8Array>,
  keep: "all" | "last" | "none",
  onEnd: (chunks: Uint8Array[]) => void,
): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const it = body[Symbol.asyncIterator]();
      const kept: Uint8Array[] = [];
      const wrapped: AsyncIterator<Uint8Array> = {
        async next() {
          const r = await it.next();
          if (r.done) {
            try {
              onEnd(kept);
            } catch {
              // Observation must never affect the call.
            }
          } else if (keep === "all") {
            kept.push(r.value);
          } else if (keep === "last") {
            kept[0] = r.value;
          }
          return r;
        },
      };
      if (it.throw) wrapped.throw = (e?: unknown) => it.throw!(e);
      if (it.return) wrapped.return = (v?: unknown) => it.return!(v);
      return wrapped;
    },
  };
}

function codeForHttpStatus(status: number): number {
  switch (status) {
    case 404:
      return Code.Unimplemented;
    case 400: // malformed request
    case 405: // e.g. GET on a method with side effects
    case 415: // content-type of no protocol served here
    case 505: // unsupported connect-protocol-version
      return Code.InvalidArgument;
    default:
      return codeFromHttpStatus(status);
  }
}

function decompress(bytes: Uint8Array, encoding: string | null): Uint8Array | undefined {
  switch (encoding ?? "identity") {
    case "identity":
      return bytes;
    case "gzip":
      return gunzipSync(bytes);
    case "br":
      return brotliDecompressSync(bytes);
    default:
      return undefined;
  }
}

function unaryErrorCode(chunks: Uint8Array[], encoding: string | null): number | undefined {
  try {
    const bytes = decompress(Buffer.concat(chunks), encoding);
    if (!bytes) return undefined;
    const json = JSON.parse(Buffer.from(bytes).toString("utf8")) as { code?: unknown };
    return typeof json.code === "string" ? codeFromString(json.code) : undefined;
  } catch {
    return undefined;
  }
}

/** The status in the last envelope of a Connect stream (end-stream) or gRPC-Web response (trailers). */
function endOfStreamCode(last: Uint8Array | undefined, connect: boolean, encoding: string | null): number | undefined {
  if (!last || last.byteLength < 5) return undefined;
  const flags = last[0]!;
  if (!(flags & (connect ? 0b10 : 0b1000_0000))) return undefined;
  const length = Buffer.from(last.buffer, last.byteOffset, last.byteLength).readUInt32BE(1);
  try {
    const raw = last.subarray(5, 5 + length);
    const data = flags & 0b1 ? decompress(raw, encoding) : raw;
    if (!data) return undefined;
    const text = Buffer.from(data).toString("utf8");
    if (connect) {
      const end = JSON.parse(text) as { error?: { code?: unknown } };
      if (!end.error) return 0;
      return typeof end.error.code === "string" ? (codeFromString(end.error.code) ?? Code.Unknown) : Code.Unknown;
    }
    const status = /^grpc-status:\s*(\d+)\s*$/im.exec(text);
    return status ? Number(status[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// HTTP/1.1 on the TLS listener.

/** How long a new HTTP/1.1 connection may take to send its first request's headers. */
const HTTP1_FIRST_REQUEST_TIMEOUT_MS = 30_000;

interface Http1Listener {
  offered: boolean;
  accept(socket: tls.TLSSocket): void;
  drain(): void;
  close(): void;
}

/**
 * A node:http server that never listens: the HTTP/2 server hands it the TLS
 * sockets that negotiated HTTP/1.1. Its connections are tracked here because
 * grpc-js only knows HTTP/2 sessions, and its shutdown would otherwise wait for
 * keep-alive connections to time out.
 */
function createHttp1Listener(handle: (req: NodeRequest, res: NodeResponse) => void): Http1Listener {
  const sockets = new Map<net.Socket, { active: number }>();
  let draining = false;
  let closed = false;

  const server = http.createServer((req, res) => {
    const state = sockets.get(req.socket);
    if (state) {
      state.active++;
      // The first-request timeout is over; long responses (server streams) are fine.
      req.socket.setTimeout(0);
      res.once("close", () => {
        state.active--;
        if (draining && state.active === 0) req.socket.end();
      });
    }
    if (draining) res.setHeader("connection", "close");
    // A request rejected before its body was read (too large, say) leaves bytes on
    // the connection that nobody will read; Node then destroys the socket, and a
    // client that reuses it sees ECONNRESET. Tell the client not to reuse it.
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      if (!req.complete) this.setHeader("connection", "close");
      return Reflect.apply(writeHead, this, args) as http.ServerResponse;
    } as typeof res.writeHead;
    handle(req, res);
  });

  return {
    offered: false,
    accept(socket) {
      if (closed || draining) {
        socket.destroy();
        return;
      }
      const state = { active: 0 };
      sockets.set(socket, state);
      socket.once("close", () => sockets.delete(socket));
      // node:http reports socket timeouts (first request, keep-alive idle) to
      // socket.server, which here is grpc-js's HTTP/2 server and ignores them; so
      // close idle connections ourselves.
      socket.on("timeout", () => {
        if (state.active === 0) socket.destroy();
      });
      socket.setTimeout(HTTP1_FIRST_REQUEST_TIMEOUT_MS);
      server.emit("connection", socket);
    },
    drain() {
      draining = true;
      for (const [socket, state] of sockets) if (state.active === 0) socket.destroy();
    },
    close() {
      closed = true;
      for (const socket of sockets.keys()) socket.destroy();
      sockets.clear();
    },
  };
}

const ALPN_H2 = Buffer.from("\x02h2", "latin1");
const ALPN_HTTP1 = Buffer.from("\x08http/1.1", "latin1");

/**
 * Offer "http/1.1" after "h2" in ALPN (h2 stays preferred, so gRPC clients are
 * unaffected) and take the connections that choose it. Without an ALPN match
 * Node 20 refuses the TLS handshake, so the protocol must be offered, not just
 * accepted.
 */
function offerHttp1(h2: http2.Http2SecureServer, http1: Http1Listener): boolean {
  const server = h2 as unknown as { ALPNProtocols?: unknown };
  if (!Buffer.isBuffer(server.ALPNProtocols) || !server.ALPNProtocols.equals(ALPN_H2)) return false;
  server.ALPNProtocols = Buffer.concat([ALPN_H2, ALPN_HTTP1]);
  // Node emits 'unknownProtocol' for a TLS connection that negotiated something
  // other than h2 (or nothing) when allowHTTP1 is off, as grpc-js creates it.
  h2.on("unknownProtocol", (socket: tls.TLSSocket) => {
    if (socket.alpnProtocol === "http/1.1" || socket.alpnProtocol === false) http1.accept(socket);
    else socket.destroy();
  });
  http1.offered = true;
  return true;
}
