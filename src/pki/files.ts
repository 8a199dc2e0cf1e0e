import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";

/**
 * Write a file so that readers see either the old content or the new one, never a
 * torn file: a crash half-way through writing a private key must not leave the
 * controller unable to start. The temp file gets its final mode before any bytes
 * are written, so a key is never readable by others even for a moment.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fh = await open(tmp, "wx", mode);
  try {
    // open()'s mode is filtered by the umask; chmod makes the mode exact.
    await fh.chmod(mode);
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
