// File primitives for the client store: atomic replace and a small advisory
// lock, so two `ferry` processes sharing a FERRY_HOME never see a torn file
// and do not lose each other's read-modify-write updates.
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";

export { readIfExists, writeFileAtomic } from "../../util/files.js";

const LOCK_WAIT_MS = 5_000;
// A lock older than this belongs to a process that died mid-update; no update
// takes anywhere near this long.
const LOCK_STALE_MS = 10_000;

/** Run `fn` while holding `<path>.lock` (created exclusively). */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(lock), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
