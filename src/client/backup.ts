// Downloading a controller backup (ControllerService.CreateBackup) to a file,
// checked against the size announced in the first message and the SHA-256 in
// the last, so a truncated or damaged download never looks like a backup.
import { createHash } from "node:crypto";
import { link, open, rm } from "node:fs/promises";
import { writeFileAtomic } from "../util/files.js";
import { checksumFileFor, checksumLine } from "../util/backup-archive.js";
import type { FerryClients } from "./connect.js";

export interface DownloadedBackup {
  path: string;
  size: number;
  sha256: string;
}

export class BackupDownloadError extends Error {}

/**
 * Streams a backup into `path` (created 0600: it holds the controller's
 * private keys and password hashes; never overwrites an existing file) and
 * writes `<path>.sha256` next to it for `sha256sum -c` and restores.
 */
export async function downloadBackup(
  clients: FerryClients,
  path: string,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<DownloadedBackup> {
  const part = `${path}.part`;
  const fh = await open(part, "wx", 0o600);
  let handedOver = false;
  try {
    await fh.chmod(0o600); // open()'s mode is filtered by the umask
    const hash = createHash("sha256");
    let total = -1;
    let done = 0;
    let sha256 = "";
    for await (const m of clients.controller.createBackup({}, { signal })) {
      if (total < 0) total = Number(m.totalSize);
      if (sha256) throw new BackupDownloadError("the controller sent data after the backup's checksum");
      if (m.chunk.length) {
        await fh.write(m.chunk);
        hash.update(m.chunk);
        done += m.chunk.length;
      }
      sha256 = m.sha256;
      onProgress?.(done, total);
    }
    await fh.sync();
    await fh.close();
    handedOver = true;
    if (!sha256) throw new BackupDownloadError("the backup stream ended before its checksum arrived");
    if (done !== total) throw new BackupDownloadError(`got ${done} bytes of a ${total}-byte backup`);
    const got = hash.digest("hex");
    if (got !== sha256) throw new BackupDownloadError(`checksum mismatch: the controller says ${sha256}, got ${got}`);
    // link + unlink rather than rename: fails instead of replacing a file that
    // appeared at `path` while we downloaded.
    await link(part, path);
    await rm(part, { force: true });
    await writeFileAtomic(checksumFileFor(path), checksumLine(sha256, path), 0o644);
    return { path, size: done, sha256 };
  } catch (err) {
    if (!handedOver) await fh.close().catch(() => undefined);
    await rm(part, { force: true });
    throw err;
  }
}
