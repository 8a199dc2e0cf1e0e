// The destination's token at rest on the source: AES-256-GCM under a key
// file created on first use (0600), bound to the migration id.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretBox } from "../../src/migration/secrets.js";

const dir = mkdtempSync(join(tmpdir(), "ferry-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sealed migration tokens", () => {
  it("creates the key only when first used, 0600", () => {
    const box = createSecretBox(dir);
    expect(existsSync(join(dir, "migration.key"))).toBe(false);
    box.seal("x", "id");
    expect(statSync(join(dir, "migration.key")).mode & 0o777).toBe(0o600);
  });

  it("round-trips, never shows the token, and is bound to the migration id", () => {
    const box = createSecretBox(dir);
    const sealed = box.seal("the-secret-token", "m:0");
    expect(sealed).not.toContain("the-secret-token");
    expect(sealed.startsWith("v1:")).toBe(true);
    expect(box.seal("the-secret-token", "m:0")).not.toBe(sealed); // fresh IV each time
    // Another process (same key file) opens it.
    expect(createSecretBox(dir).open(sealed, "m:0")).toBe("the-secret-token");
    expect(() => box.open(sealed, "m:1")).toThrow();
    const [v, iv, tag, body] = sealed.split(":");
    const flipped = Buffer.from(body, "base64");
    flipped[0] ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString("base64")].join(":"), "m:0")).toThrow();
  });

  it("a different key (another controller's data dir) cannot open it", () => {
    const other = mkdtempSync(join(tmpdir(), "ferry-secrets-other-"));
    try {
      const sealed = createSecretBox(dir).seal("t", "m:0");
      expect(() => createSecretBox(other).open(sealed, "m:0")).toThrow();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
