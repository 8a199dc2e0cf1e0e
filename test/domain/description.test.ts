// The model description's canonical encoding: fixed key order, stable bytes,
// strict decoding, and line splitting across arbitrary chunk boundaries.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeLine,
  DescriptionError,
  emptyCounts,
  encodeModelLine,
  ENTITY_SPECS,
  LineSplitter,
  lineEncoder,
} from "../../src/domain/description.js";

const spec = (kind: string) => ENTITY_SPECS.find((s) => s.kind === kind)!;
const unitValues = [
  "wordpress/0",
  "wordpress",
  0,
  "3",
  "alive",
  1,
  "active",
  'ünïcödé ✓ "quoted"\nnewline',
  1700000000000,
  "idle",
  "",
  1700000000001,
  null,
  42,
  42,
  1700000000002,
];

function thrown(fn: () => unknown): DescriptionError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DescriptionError) return e;
    throw e;
  }
  throw new Error("expected a DescriptionError");
}

describe("encoding", () => {
  it("writes one JSON object per line with kind first and keys in spec order", () => {
    const line = lineEncoder(spec("unit"))(unitValues);
    expect(line.endsWith("}\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1); // newlines inside values are escaped
    const obj = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(obj)).toEqual(["kind", ...spec("unit").fields.map(([k]) => k)]);
    expect(obj.leader).toBe(true);
    expect(obj.passwordHash).toBeNull();
    expect(obj.workloadMessage).toBe(unitValues[7]);
  });

  it("is exactly JSON.stringify of the same object (canonical, no whitespace)", () => {
    const line = lineEncoder(spec("unit"))(unitValues);
    const keys = spec("unit").fields.map(([k]) => k);
    const obj: Record<string, unknown> = { kind: "unit" };
    keys.forEach((k, i) => (obj[k] = k === "leader" ? unitValues[i] === 1 : unitValues[i]));
    expect(line).toBe(JSON.stringify(obj) + "\n");
  });

  it("gives the same bytes and digest every time", () => {
    const enc = lineEncoder(spec("unit"));
    const digest = () => createHash("sha256").update(enc(unitValues)).update(enc(unitValues)).digest("hex");
    expect(digest()).toBe(digest());
  });

  it("starts the model line with the format version", () => {
    const line = encodeModelLine(["u", "m", "admin", "c", "lxd", "r", "1.0.0", 0, "alive", 0, 1, 2, 3]);
    expect(line.startsWith('{"kind":"model","format":2,"uuid":"u"')).toBe(true);
  });

  it("counts every kind, zeros included", () => {
    expect(Object.keys(emptyCounts())).toEqual(ENTITY_SPECS.map((s) => s.countKey));
  });
});

describe("decoding", () => {
  it("round-trips a line into SQLite-ready values (booleans as 0/1)", () => {
    const d = decodeLine(lineEncoder(spec("unit"))(unitValues).trimEnd(), 1);
    expect(d.spec.kind).toBe("unit");
    expect(d.values).toEqual(unitValues);
  });

  it("refuses malformed lines with the line number", () => {
    expect(thrown(() => decodeLine("{nope", 7)).message).toMatch(/line 7: not valid JSON/);
    expect(thrown(() => decodeLine("[1]", 2)).message).toMatch(/not a JSON object/);
    expect(thrown(() => decodeLine('{"kind":"spaceship"}', 3)).message).toMatch(/unknown kind "spaceship"/);
    expect(thrown(() => decodeLine('{"kind":"config","key":"a","value":5}', 4)).message).toMatch(
      /config field "value" must be a string/,
    );
    expect(thrown(() => decodeLine('{"kind":"config","key":"a"}', 5)).message).toMatch(/"value" must be a string/);
    expect(thrown(() => decodeLine('{"kind":"config","key":"a","value":"b","x":1}', 6)).message).toMatch(
      /unexpected keys/,
    );
    expect(thrown(() => decodeLine('{"kind":"relation-endpoint","relationId":1.5}', 8)).message).toMatch(
      /must be an integer/,
    );
  });
});

describe("LineSplitter", () => {
  const text = 'first ✓ line\n{"x":"ünï"}\nthird 😀\n';
  const bytes = Buffer.from(text, "utf8");

  it("yields the same lines whatever the chunk boundaries (even inside a UTF-8 sequence)", () => {
    for (const size of [1, 2, 3, 5, 7, bytes.length]) {
      const s = new LineSplitter();
      const lines: string[] = [];
      for (let off = 0; off < bytes.length; off += size) lines.push(...s.push(bytes.subarray(off, off + size)));
      expect(lines, `chunk size ${size}`).toEqual(["first ✓ line", '{"x":"ünï"}', "third 😀"]);
      expect(s.pending).toBe(0);
    }
  });

  it("keeps an unfinished last line pending", () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from("a\nb"))).toEqual(["a"]);
    expect(s.pending).toBe(1);
  });

  it("refuses a line longer than the limit", () => {
    const s = new LineSplitter(10);
    expect(() => s.push(Buffer.from("x".repeat(11)))).toThrow(/longer than 10 bytes/);
  });
});
