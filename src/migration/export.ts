// Exporting a model for migration: the model description (see
// src/domain/description.ts) streamed from one consistent snapshot, plus the
// list of binaries (charm archives) that travel separately. A first pass over
// the snapshot computes counts, size and SHA-256 (the Import header needs
// them up front) without keeping anything; chunks() then re-reads the same
// snapshot, so what is sent is exactly what was hashed. Memory stays flat at
// any model size: rows are iterated, encoded and hashed a chunk at a time.
import { createHash } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { emptyCounts, encodeModelLine, ENTITY_SPECS, lineEncoder } from "../domain/description.js";
import type { ModelSnapshot, Store } from "../store/index.js";

export { ModelNotFoundError } from "../store/index.js";

/** The most bytes one chunk (document or binary) carries. */
export const MAX_CHUNK = 1024 * 1024;

export interface ExportBinary {
  kind: "charm";
  /** The charm URL. */
  name: string;
  size: number;
  sha256: string;
}

export interface ModelExport {
  /** Entities by kind (every kind present, zeros included). */
  counts: Record<string, number>;
  /** Total entities: lines minus the model line. */
  entityCount: number;
  /** Document size in bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the document: the content digest. */
  sha256: string;
  binaries: ExportBinary[];
  /** The document in chunks of at most 1 MiB, from the same snapshot as the digest. */
  chunks(): AsyncIterable<Uint8Array>;
  /** One binary's bytes in chunks of at most 1 MiB. */
  binary(name: string): AsyncIterable<Uint8Array>;
  /** Ends the snapshot (and any iteration still open). Idempotent. */
  close(): Promise<void>;
}

// Flush encoded text at this many UTF-16 units: at most 3 bytes each in
// UTF-8, so a flush is under 1 MiB unless one line alone is longer.
const FLUSH_CHARS = 256 * 1024;

/**
 * The document as byte chunks of at most MAX_CHUNK, counting entities into
 * `counts`, reading the snapshot a batch of rows at a time.
 */
async function* documentChunks(snap: ModelSnapshot, counts: Record<string, number>): AsyncGenerator<Buffer> {
  let text = encodeModelLine(snap.modelValues);
  for (const spec of ENTITY_SPECS) {
    const encode = lineEncoder(spec);
    let n = 0;
    for await (const batch of snap.rows(spec.kind)) {
      for (const row of batch) {
        text += encode(row);
        n++;
        if (text.length >= FLUSH_CHARS) {
          yield* split(Buffer.from(text, "utf8"));
          text = "";
        }
      }
    }
    counts[spec.countKey] = n;
  }
  if (text.length) yield* split(Buffer.from(text, "utf8"));
}

function* split(buf: Buffer): Generator<Buffer> {
  for (let off = 0; off < buf.length; off += MAX_CHUNK) yield buf.subarray(off, off + MAX_CHUNK);
}

/**
 * Exports `modelUuid` from `store`: opens the snapshot (on its own read-only
 * connection), computes counts, size and digest, and keeps the snapshot open
 * for chunks() and binary() until close(). Throws ModelNotFoundError when the
 * model does not exist.
 */
export async function exportModel(store: Store, modelUuid: string): Promise<ModelExport> {
  const snap = await store.openModelSnapshot(modelUuid);
  // Iterations in progress, so close() can end them first (a connection with
  // an open statement or cursor cannot be closed).
  const open = new Set<AsyncGenerator<Buffer>>();
  let closed = false;

  async function* stream(gen: AsyncGenerator<Buffer>): AsyncGenerator<Uint8Array> {
    if (closed) throw new Error("model export is closed");
    open.add(gen);
    try {
      for await (const chunk of gen) {
        yield chunk;
        // A big export must not hold the event loop: other calls run between chunks.
        await yieldToLoop();
        if (closed) throw new Error("model export was closed during iteration");
      }
    } finally {
      await gen.return(undefined);
      open.delete(gen);
    }
  }

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const g of [...open]) await g.return(undefined).catch(() => undefined);
    open.clear();
    await snap.close();
  };

  try {
    const counts = emptyCounts();
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of stream(documentChunks(snap, counts))) {
      hash.update(chunk);
      size += chunk.length;
    }
    const binaries: ExportBinary[] = (await snap.charms()).map((c) => ({
      kind: "charm" as const,
      name: c.url,
      size: c.size,
      sha256: c.sha256,
    }));
    return {
      counts,
      entityCount: Object.values(counts).reduce((a, b) => a + b, 0),
      size,
      sha256: hash.digest("hex"),
      binaries,
      chunks: () => stream(documentChunks(snap, emptyCounts())),
      binary: (name) => {
        if (closed) throw new Error("model export is closed");
        return stream(
          (async function* () {
            const bytes = await snap.charmArchive(name);
            if (!bytes) throw new Error(`model ${modelUuid} has no binary ${JSON.stringify(name)}`);
            yield* split(bytes);
          })(),
        );
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
