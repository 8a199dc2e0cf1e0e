// The committed drizzle-kit migrations match the schemas: this fails when a
// schema changed without `drizzle-kit generate` (see drizzle.*.config.ts).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "ferry-migrations-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each([
  ["sqlite", "sqlite"],
  ["postgres", "postgresql"],
] as const)("the committed %s migrations", (engine, dialect) => {
  it("are up to date with the schema", () => {
    const dir = join(work, engine);
    cpSync(join(root, "drizzle", engine), join(dir, "out"), { recursive: true });
    const before = readdirSync(join(dir, "out")).sort();
    // drizzle-kit writes relative to its working directory.
    writeFileSync(
      join(dir, "config.ts"),
      `export default ${JSON.stringify({ dialect, schema: join(root, "src", "store", "schema", `${engine}.ts`), out: "./out" })};\n`,
    );
    const out = execFileSync(join(root, "node_modules", ".bin", "drizzle-kit"), ["generate", "--config", "config.ts"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(readdirSync(join(dir, "out")).sort(), `${engine} schema changed: run drizzle-kit generate\n${out}`).toEqual(
      before,
    );
    expect(out).toMatch(/No schema changes/);
  }, 60_000);
});
