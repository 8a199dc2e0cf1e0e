// Issue 11 item 8: the data dir and the store files are private whatever the
// umask or the dir's mode before; a data dir others can write is refused.
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFerryd } from "../helpers/ferryd.js";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("a controller's data dir", () => {
  it("is tightened to 0700 when it was 0755, with the database and its WAL files 0600", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ferryd-perm-"));
    chmodSync(dir, 0o755);
    const d = await startFerryd({ name: "perm", dataDir: dir });
    try {
      expect(mode(dir)).toBe(0o700);
      for (const f of ["ferry.db", "ferry.db-wal", "ferry.db-shm", "ca.key", "server.key"]) {
        expect([f, mode(join(dir, f))]).toEqual([f, 0o600]);
      }
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is refused when others can write it, with a message saying so and nothing created", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ferryd-perm-"));
    chmodSync(dir, 0o777);
    try {
      const err = await startFerryd({ name: "perm", dataDir: dir }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toContain(`refusing to start: data dir ${dir} is writable by others (mode 777)`);
      expect(err?.message).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(() => statSync(join(dir, "ferry.db"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
