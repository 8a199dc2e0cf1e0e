// Moving bytes to the destination: the model document (Import stream), the
// binaries (UploadBinary streams, each checked by SHA-256 on the far side)
// and the log (TransferLogs, resumable from the destination's last seq).
// Everything streams: no message over 1 MiB of payload, and neither side
// holds a whole model in memory.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ImportRequestSchema,
  ImportResponse,
  MigratingModelInfo,
  TransferLogsRequestSchema,
  UploadBinaryRequestSchema,
} from "../../gen/ts/ferry/v1/migration_target_pb.js";
import type { Store } from "../store/index.js";
import type { ModelExport } from "./export.js";
import type { TargetConnection } from "./target-client.js";

export type ExportFn = (store: Store, modelUuid: string) => Promise<ModelExport>;

const MAX_CHUNK = 1024 * 1024;

/** Progress callbacks may record to the store: awaited, so a failed write stops the stream. */
type OnBytes = (n: number) => void | Promise<void>;

/** Re-slices a byte stream into pieces of at most 1 MiB (the wire contract). */
async function* rechunk(src: AsyncIterable<Uint8Array>, onBytes: OnBytes): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    for (let off = 0; off < c.length; off += MAX_CHUNK) {
      const piece = c.subarray(off, Math.min(c.length, off + MAX_CHUNK));
      yield piece;
      await onBytes(piece.length);
    }
  }
}

/** Streams the document; `onBytes` sees the running total of bytes sent. */
export async function importDocument(
  conn: TargetConnection,
  exp: ModelExport,
  model: MigratingModelInfo,
  migrationId: string,
  signal: AbortSignal,
  onBytes: OnBytes,
): Promise<ImportResponse> {
  let sent = 0;
  async function* requests(): AsyncGenerator<MessageInitShape<typeof ImportRequestSchema>> {
    yield {
      data: {
        case: "header",
        value: { model, migrationId, size: BigInt(exp.size), sha256: exp.sha256, entityCount: BigInt(exp.entityCount) },
      },
    };
    for await (const chunk of rechunk(exp.chunks(), (n) => onBytes((sent += n)))) {
      yield { data: { case: "chunk", value: chunk } };
    }
  }
  return conn.target.import(requests(), { signal });
}

/** Uploads one binary; `onBytes` sees bytes of this binary as they go. */
export async function uploadBinary(
  conn: TargetConnection,
  exp: ModelExport,
  modelUuid: string,
  b: ModelExport["binaries"][number],
  signal: AbortSignal,
  onBytes: OnBytes,
  corrupt = false,
): Promise<void> {
  async function* requests(): AsyncGenerator<MessageInitShape<typeof UploadBinaryRequestSchema>> {
    yield {
      data: {
        case: "header",
        value: { modelUuid, kind: b.kind, name: b.name, size: BigInt(b.size), sha256: b.sha256 },
      },
    };
    let first = true;
    for await (const chunk of rechunk(exp.binary(b.name), onBytes)) {
      if (corrupt && first && chunk.length > 0) {
        // Test knob only: damage the copy in flight, never the source's bytes.
        const damaged = Uint8Array.from(chunk);
        damaged[0] ^= 0xff;
        yield { data: { case: "chunk", value: damaged } };
      } else {
        yield { data: { case: "chunk", value: chunk } };
      }
      first = false;
    }
  }
  await conn.target.uploadBinary(requests(), { signal });
}

/** Log entries per stream message and per stream (one acknowledged unit of progress). */
const LOG_MESSAGE = 500;
const LOG_STREAM = 5000;

/**
 * Sends the log entries the destination does not have yet, one stream per
 * batch so every acknowledged batch is progress a restart keeps. Returns how
 * many were sent.
 */
export async function transferLogs(
  store: Store,
  conn: TargetConnection,
  modelUuid: string,
  signal: AbortSignal,
  /** Called once with the source position the destination already has. */
  onStart: (afterSeq: number) => Promise<void>,
  onBatch: (sentSoFar: number) => Promise<void>,
): Promise<number> {
  const latest = await conn.target.latestLogTime({ modelUuid }, { signal });
  let afterSeq = Number(latest.seq);
  await onStart(afterSeq);
  // Destinations that do not track source positions: resume by time instead.
  const afterTime = afterSeq === 0 && latest.time ? Number(latest.time.seconds) * 1000 + latest.time.nanos / 1e6 : 0;
  let sent = 0;
  for (;;) {
    const from = afterSeq;
    const raw = await store.read((tx) => tx.logs.read(modelUuid, { afterSeq: from, max: LOG_STREAM }));
    if (!raw.length) return sent;
    const rows = afterTime ? raw.filter((r) => r.time > afterTime) : raw;
    async function* requests(batch: typeof rows): AsyncGenerator<MessageInitShape<typeof TransferLogsRequestSchema>> {
      for (let i = 0; i < batch.length; i += LOG_MESSAGE) {
        yield {
          modelUuid,
          entries: batch.slice(i, i + LOG_MESSAGE).map((r) => ({
            time: timestampFromMs(r.time),
            entity: r.entity,
            level: r.level,
            module: r.module,
            message: r.message,
            seq: BigInt(r.seq),
          })),
        };
      }
    }
    if (rows.length) {
      await conn.target.transferLogs(requests(rows), { signal });
      sent += rows.length;
      await onBatch(sent);
    }
    afterSeq = raw[raw.length - 1]!.seq;
  }
}
