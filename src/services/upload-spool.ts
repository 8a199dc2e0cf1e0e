// Client-stream uploads are spooled to a file while they arrive (issue 11,
// item 6): an upload left open holds a file on disk, not its bytes in the
// controller's memory. The file is 0600 in a 0700 directory of the data dir,
// and removed when the upload ends however it ends; what a crash leaves
// behind is removed at the next start (cleanSpoolDir).
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let fallbackDir: Promise<string> | undefined;

/** The directory for spools: the given one (created 0700), or a private temporary one. */
async function dirFor(dir: string | undefined): Promise<string> {
  if (dir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  fallbackDir ??= mkdtemp(join(tmpdir(), "ferry-uploads-"));
  return fallbackDir;
}

export class UploadSpool {
  private written = 0;

  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(dir: string | undefined): Promise<UploadSpool> {
    const path = join(await dirFor(dir), `${randomUUID()}.part`);
    return new UploadSpool(path, await open(path, "wx", 0o600));
  }

  get size(): number {
    return this.written;
  }

  async append(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off, this.written + off);
      off += bytesWritten;
    }
    this.written += chunk.length;
  }

  /** The whole upload, once it is complete and checked. */
  async contents(): Promise<Buffer> {
    return readFile(this.path);
  }

  /** Closes and removes the file; safe to call more than once. */
  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/** Removes spools a previous process left behind (it stopped mid-upload). */
export async function cleanSpoolDir(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const parts = names.filter((n) => n.endsWith(".part"));
  await Promise.all(parts.map((n) => rm(join(dir, n), { force: true })));
  return parts.length;
}
