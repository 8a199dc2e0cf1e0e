// A consistent snapshot of a running controller, packed as a backup archive
// (format in util/backup-archive.ts): the store's own consistent copy
// (Store.backupFile: SQLite's online backup, or a logical dump of one
// PostgreSQL snapshot), the PKI and the secrets next to it.
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import type { ControllerIdentity } from "../domain/controller.js";
import {
  BACKUP_FORMAT,
  MANIFEST_NAME,
  PKI_FILE_NAMES,
  sha256File,
  type BackupFile,
  type BackupManifest,
} from "../util/backup-archive.js";
import { tarEnd, tarEntrySize, tarHeader, tarPadding } from "../util/tar.js";
import type { Store } from "./store.js";

const TEMP_PREFIX = ".backup-";
/** A temp snapshot older than this was left by a controller that died mid-backup. */
const STALE_TEMP_MS = 3600_000;
/** Largest piece `pieces()` yields; the API's chunk limit is 1 MiB. */
export const MAX_PIECE = 1024 * 1024;

export interface SnapshotOptions {
  store: Store;
  /** The controller's data dir: where the PKI lives and the temp snapshot goes. */
  dataDir: string;
  controller: ControllerIdentity;
  createdBy: string;
  ferryVersion: string;
  now?: Date;
}

export interface BackupSnapshot {
  manifest: BackupManifest;
  /** Exact size of the archive `pieces()` produces. */
  totalSize: number;
  /** The archive, in pieces of at most MAX_PIECE bytes. */
  pieces(signal?: AbortSignal): AsyncGenerator<Uint8Array>;
  /** Removes the temp snapshot; safe to call twice. */
  cleanup(): Promise<void>;
}

interface Part extends BackupFile {
  /** In memory (small files) or on disk (the store snapshot). */
  data: Buffer | { path: string };
}

/** Secrets kept next to the PKI files (e.g. the key that encrypts stored migration tokens). */
function isExtraSecret(name: string): boolean {
  return name.endsWith(".key") && !(PKI_FILE_NAMES as readonly string[]).includes(name) && !name.startsWith(".");
}

async function sweepStaleTemps(dataDir: string, now: number): Promise<void> {
  for (const name of await readdir(dataDir).catch(() => [] as string[])) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const st = await stat(join(dataDir, name)).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_TEMP_MS) await rm(join(dataDir, name), { force: true });
  }
}

function memoryPart(name: string, mode: number, data: Buffer): Part {
  return { name, mode, size: data.length, sha256: createHash("sha256").update(data).digest("hex"), data };
}

/**
 * Takes the snapshot and prepares the archive. The caller streams
 * `pieces()` and must call `cleanup()` afterwards, whatever happened.
 */
export async function snapshotController(opts: SnapshotOptions): Promise<BackupSnapshot> {
  const now = opts.now ?? new Date();
  await sweepStaleTemps(opts.dataDir, now.getTime());
  let temp: string | undefined;
  const cleanup = async () => {
    if (temp) for (const suffix of ["", "-journal", "-wal", "-shm"]) await rm(temp + suffix, { force: true });
  };
  try {
    const copy = await opts.store.backupFile(opts.dataDir);
    temp = copy.path;
    const parts: Part[] = [];
    const dbSize = (await stat(temp)).size;
    parts.push({ name: copy.name, mode: 0o600, size: dbSize, sha256: await sha256File(temp), data: { path: temp } });
    // A shared store holds the CA, its key and the other secrets itself (they are in the dump).
    for (const name of opts.store.shared ? ["ca.pem"] : PKI_FILE_NAMES) {
      const mode = name.endsWith(".key") ? 0o600 : 0o644;
      parts.push(memoryPart(name, mode, await readFile(join(opts.dataDir, name))));
    }
    if (!opts.store.shared) {
      for (const name of (await readdir(opts.dataDir)).filter(isExtraSecret).sort()) {
        parts.push(memoryPart(name, 0o600, await readFile(join(opts.dataDir, name))));
      }
    }
    const c = opts.controller;
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: now.toISOString(),
      createdBy: opts.createdBy,
      ferryVersion: opts.ferryVersion,
      controller: {
        name: c.name,
        uuid: c.uuid,
        version: c.version,
        cloud: c.cloud,
        cloudType: c.cloudType,
        region: c.region,
        regions: c.regions,
        addresses: c.addresses,
        caFingerprint: c.caFingerprint,
        controllerModelUuid: c.controllerModelUuid,
      },
      modelCount: copy.modelCount,
      store: { engine: opts.store.engine, file: copy.name },
      files: parts.map(({ name, size, mode, sha256 }) => ({ name, size, mode, sha256 })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + "\n", "utf8");
    const totalSize =
      tarEntrySize(manifestBytes.length) + parts.reduce((n, p) => n + tarEntrySize(p.size), 0) + tarEnd().length;

    async function* pieces(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
      const entry = async function* (name: string, mode: number, size: number, data: Part["data"]) {
        yield tarHeader({ name, mode, size, mtime: now });
        if (Buffer.isBuffer(data)) {
          for (let off = 0; off < data.length; off += MAX_PIECE) yield data.subarray(off, off + MAX_PIECE);
        } else {
          let seen = 0;
          for await (const chunk of createReadStream(data.path, { highWaterMark: MAX_PIECE })) {
            signal?.throwIfAborted();
            seen += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          // The snapshot is private to this backup; a size change means something is badly wrong.
          if (seen !== size) throw new Error(`backup snapshot changed size while streaming (${seen} != ${size})`);
        }
        const pad = tarPadding(size);
        if (pad.length) yield pad;
      };
      yield* entry(MANIFEST_NAME, 0o644, manifestBytes.length, manifestBytes);
      for (const p of parts) yield* entry(p.name, p.mode, p.size, p.data);
      yield tarEnd();
    }

    return { manifest, totalSize, pieces, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
