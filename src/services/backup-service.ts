// ControllerService.CreateBackup: a consistent archive of the controller (its
// store, CA, server certificate and identity) streamed in chunks of at most
// 1 MiB. The first message carries the archive's total size (so a client can
// show progress and check it got everything), the last one its SHA-256.
import { createHash } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { CreateBackupRequest, CreateBackupResponseSchema } from "../../gen/ts/ferry/v1/controller_pb.js";
import { FERRY_VERSION } from "../config.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { MAX_PIECE, snapshotController, type Store } from "../store/index.js";
import { superuserOf } from "./context.js";

export interface BackupDeps {
  store: Store;
  /** The controller's data dir (PKI and secrets; the snapshot is written here first). */
  dataDir: string;
  controller: ControllerIdentity;
  log?: { info(msg: string, fields?: Record<string, unknown>): void };
}

type Chunk = MessageInitShape<typeof CreateBackupResponseSchema>;

/** Joins small pieces (tar headers, padding) into messages of up to `max` bytes. */
export async function* coalesce(pieces: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let buf: Uint8Array[] = [];
  let len = 0;
  for await (const piece of pieces) {
    if (len + piece.length > max && len > 0) {
      yield Buffer.concat(buf, len);
      buf = [];
      len = 0;
    }
    if (piece.length >= max) {
      for (let off = 0; off < piece.length; off += max) yield piece.subarray(off, off + max);
      continue;
    }
    buf.push(piece);
    len += piece.length;
  }
  if (len > 0) yield Buffer.concat(buf, len);
}

export function createBackupHandler(deps: BackupDeps) {
  return async function* createBackup(_req: CreateBackupRequest, ctx: HandlerContext): AsyncGenerator<Chunk> {
    // Superusers only: the archive holds the CA key and every password hash.
    const principal = superuserOf(ctx);
    const started = Date.now();
    const snap = await snapshotController({
      store: deps.store,
      dataDir: deps.dataDir,
      controller: deps.controller,
      createdBy: principal.user,
      ferryVersion: FERRY_VERSION,
    });
    try {
      const hash = createHash("sha256");
      let sent = 0;
      let held: Uint8Array | undefined;
      // One message is held back so the last can carry the SHA-256 alongside
      // real bytes, rather than an extra empty message.
      for await (const chunk of coalesce(snap.pieces(ctx.signal), MAX_PIECE)) {
        hash.update(chunk);
        if (held) {
          yield sent === 0 ? { chunk: held, totalSize: BigInt(snap.totalSize) } : { chunk: held };
          sent += held.length;
        }
        held = chunk;
      }
      const total = sent + (held?.length ?? 0);
      if (total !== snap.totalSize) throw new Error(`backup archive is ${total} bytes, announced ${snap.totalSize}`);
      const sha256 = hash.digest("hex");
      const last: Chunk = { chunk: held ?? new Uint8Array(), sha256 };
      if (sent === 0) last.totalSize = BigInt(snap.totalSize);
      yield last;
      deps.log?.info("backup created", {
        by: principal.user,
        bytes: total,
        sha256,
        models: snap.manifest.modelCount,
        ms: Date.now() - started,
      });
    } finally {
      await snap.cleanup();
    }
  };
}
