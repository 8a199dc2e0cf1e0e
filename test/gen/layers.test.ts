// The layers as ARCHITECTURE.md draws them: only src/store/ knows the
// database engine, and the repositories (shared by both engines) use only the
// builder calls both engines have.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("layers", () => {
  it("nothing outside src/store/ imports drizzle, better-sqlite3 or pg", () => {
    const leaks = files(join(root, "src"))
      .filter((f) => !relative(root, f).startsWith("src/store/"))
      .filter((f) => /from ["'](drizzle-orm|better-sqlite3|pg|pg-cursor)(\/[^"']*)?["']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(root, f));
    expect(leaks).toEqual([]);
  });

  it("the shared repositories use no SQLite-only builder call", () => {
    const offenders = files(join(root, "src", "store", "repos")).flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => /\)\s*\.(get|all|run|values)\(\s*\)/.test(line) || /^\s*\.(get|all|run)\(\)/.test(line))
        .map(({ i }) => `${relative(root, f)}:${i + 1}`),
    );
    expect(offenders).toEqual([]);
  });
});
