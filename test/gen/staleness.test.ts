// Generated code is committed; this fails when `npm run generate` would change it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");
const out = mkdtempSync(join(tmpdir(), "ferry-gen-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("generated code", () => {
  it("gen/ts matches buf generate", () => {
    execFileSync(buf, ["generate", "--output", out], {
      cwd: root,
      env: { ...process.env, PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}` },
    });
    const fresh = files(join(out, "gen", "ts"))
      .map((f) => relative(out, f))
      .sort();
    const committed = files(join(root, "gen", "ts"))
      .map((f) => relative(root, f))
      .sort();
    expect(committed).toEqual(fresh);
    for (const f of fresh) {
      expect(readFileSync(join(root, f), "utf8"), `${f} is stale: run npm run generate`).toBe(
        readFileSync(join(out, f), "utf8"),
      );
    }
  }, 60_000);

  it("gen/ferry.binpb (the descriptor image served by reflection) matches buf build", () => {
    const image = join(out, "ferry.binpb");
    execFileSync(buf, ["build", "-o", image], { cwd: root });
    expect(
      readFileSync(join(root, "gen", "ferry.binpb")).equals(readFileSync(image)),
      "gen/ferry.binpb is stale: run npm run generate",
    ).toBe(true);
  }, 60_000);

  it("buf lint is clean", () => {
    execFileSync(buf, ["lint"], { cwd: root });
  }, 60_000);
});
