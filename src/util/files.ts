// File primitives shared by the controller (PKI, port file) and the client
// store: atomic replace with an exact mode, and "read if it exists".
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replace `path` with `data` so readers see the old or the new content, never
 * a torn file (a crash half-way through writing a key or a token must not
 * leave a broken file). The temp file gets its final mode before any byte is
 * written, so a secret is never readable by others, not even for a moment.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.chmod(mode); // open()'s mode is filtered by the umask
    await fh.writeFile(data, "utf8");
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Read a UTF-8 file, or undefined if it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
