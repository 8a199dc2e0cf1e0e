// Generated code is committed; this fails when `npm run generate` would change it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");
const out = mkdtempSync(join(tmpdir(), "ferry-gen-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === "__pycache__") return [];
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

// The Go and Python clients need protoc-gen-go(-grpc) and grpcio-tools. Without
// them the check is skipped locally, but in CI (CI=true, .ci/run installs them)
// a missing tool fails the test instead.
const goBin = process.env.GOBIN ?? join(homedir(), "go", "bin");
const toolPath = `${goBin}:${join(root, "node_modules", ".bin")}:${process.env.PATH}`;
function have(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", env: { ...process.env, PATH: toolPath } });
    return true;
  } catch {
    return false;
  }
}
const clientTools =
  have("protoc-gen-go", ["--version"]) &&
  have("protoc-gen-go-grpc", ["--version"]) &&
  have(process.env.PYTHON ?? "python3", ["-c", "import grpc_tools.protoc"]);
const inCI = !!process.env.CI && process.env.CI !== "false";

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

  it.skipIf(!clientTools && !inCI)(
    "gen/go and gen/python match scripts/generate-clients.sh",
    () => {
      expect(clientTools, "protoc-gen-go, protoc-gen-go-grpc or grpcio-tools missing (see .ci/run)").toBe(true);
      execFileSync("bash", [join(root, "scripts", "generate-clients.sh"), out], {
        cwd: root,
        env: { ...process.env, PATH: toolPath },
      });
      for (const dir of [join("gen", "go", "ferry"), join("gen", "python", "ferry", "v1")]) {
        const fresh = files(join(out, dir))
          .map((f) => relative(out, f))
          .sort();
        const committed = files(join(root, dir))
          .map((f) => relative(root, f))
          .sort();
        expect(committed).toEqual(fresh);
        for (const f of fresh) {
          expect(readFileSync(join(root, f), "utf8"), `${f} is stale: run npm run generate`).toBe(
            readFileSync(join(out, f), "utf8"),
          );
        }
      }
    },
    60_000,
  );

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
