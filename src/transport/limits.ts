// Request limits, checked in one place for every RPC before any work
// (issue 11): a list or map field holds at most MAX_ITEMS entries and a
// string field at most MAX_STRING_BYTES, anywhere in the request (nested
// messages included). A request over a limit gets INVALID_ARGUMENT with a
// BadRequest naming the field path and the limit, and reason
// REQUEST_LIMIT_EXCEEDED; nothing runs. docs/clients.md lists the limits.
//
// The 4 MiB message limit stays the transport's (RESOURCE_EXHAUSTED); these
// bound what a message that fits can ask for: 100,000 unit names in one
// RemoveUnits would otherwise be 100,000 lookups in one transaction.
import { create, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

/** Entries in any one repeated or map field of a request. */
export const MAX_ITEMS = 1000;
/** UTF-8 bytes in any one string field of a request (names have tighter limits of their own). */
export const MAX_STRING_BYTES = 64 * 1024;

/**
 * Fields that legitimately carry more: fully qualified field name -> items
 * (test/gen/proto-limits.test.ts checks that each names a real field). A
 * model's users travel in the migration prechecks and import.
 */
export const ITEM_OVERRIDES: Readonly<Record<string, number>> = {
  "ferry.v1.MigratingModelInfo.users": 100_000,
};

/** Entries allowed in list or map field `f` of message `desc`. */
export function itemLimit(desc: DescMessage, f: DescField): number {
  return ITEM_OVERRIDES[`${desc.typeName}.${f.name}`] ?? MAX_ITEMS;
}

const STRING_OVERRIDES: Record<string, number> = {};

interface Violation {
  field: string;
  description: string;
}

function stringBytes(s: string): number {
  // Cheap upper bound first: most strings are short.
  return s.length * 3 <= MAX_STRING_BYTES ? s.length : Buffer.byteLength(s, "utf8");
}

function checkString(path: string, f: DescField, v: unknown, out: Violation[]): void {
  if (typeof v !== "string") return;
  const max = STRING_OVERRIDES[f.parent.typeName + "." + f.name] ?? MAX_STRING_BYTES;
  if (v.length > max / 3 && stringBytes(v) > max) {
    out.push({ field: path, description: `at most ${max} bytes, got ${Buffer.byteLength(v, "utf8")}` });
  }
}

function walk(desc: DescMessage, msg: Record<string, unknown>, prefix: string, out: Violation[], depth: number): void {
  if (out.length >= 10 || depth > 32) return;
  for (const f of desc.fields) {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const value = msg[f.localName];
    const maxItems = itemLimit(desc, f);
    switch (f.fieldKind) {
      case "list": {
        const list = value as unknown[];
        if (list.length > maxItems) {
          out.push({ field: path, description: `at most ${maxItems} entries per call, got ${list.length}` });
          continue;
        }
        if (f.listKind === "scalar") for (const [i, v] of list.entries()) checkString(`${path}[${i}]`, f, v, out);
        else if (f.listKind === "message") {
          for (const [i, v] of list.entries())
            walk(f.message, v as Record<string, unknown>, `${path}[${i}]`, out, depth + 1);
        }
        break;
      }
      case "map": {
        const map = value as Record<string, unknown>;
        const keys = Object.keys(map);
        if (keys.length > maxItems) {
          out.push({ field: path, description: `at most ${maxItems} entries per call, got ${keys.length}` });
          continue;
        }
        for (const k of keys) {
          const keyPath = `${path}[${k.length > 40 ? `${k.slice(0, 36)}…` : k}]`;
          checkString(keyPath, f, k, out);
          if (f.mapKind === "scalar") checkString(keyPath, f, map[k], out);
          else if (f.mapKind === "message") walk(f.message, map[k] as Record<string, unknown>, keyPath, out, depth + 1);
        }
        break;
      }
      case "scalar":
        checkString(path, f, f.oneof ? undefined : value, out);
        break;
      case "message":
        if (value) walk(f.message, value as Record<string, unknown>, path, out, depth + 1);
        break;
      default:
        break;
    }
  }
  // Oneof members (scalars and messages) live under the oneof's local name.
  for (const o of desc.oneofs) {
    const sel = msg[o.localName] as { case?: string; value?: unknown } | undefined;
    const f = o.fields.find((x) => x.localName === sel?.case);
    if (!f || !sel) continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    if (f.fieldKind === "scalar") checkString(path, f, sel.value, out);
    else if (f.fieldKind === "message") walk(f.message, sel.value as Record<string, unknown>, path, out, depth + 1);
  }
}

/**
 * Before decoding: counts each top-level field's occurrences on the wire (a
 * repeated or map field is one occurrence per entry) without building
 * anything, so a request with 100,000 entries is refused in a few
 * milliseconds instead of after decoding them all. Nested limits are checked
 * on the decoded message.
 */
export function precheckWire(desc: DescMessage, bytes: Uint8Array): ConnectError | undefined {
  const counts = new Map<number, number>();
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      counts.set(fieldNo, (counts.get(fieldNo) ?? 0) + 1);
      reader.skip(wireType);
    }
  } catch {
    return undefined; // malformed: the decoder says how
  }
  const out: Violation[] = [];
  for (const f of desc.fields) {
    if (f.fieldKind !== "list" && f.fieldKind !== "map") continue;
    const n = counts.get(f.number) ?? 0;
    const max = itemLimit(desc, f);
    // Packed scalars are one occurrence for many entries: the decoded check covers them.
    if (n > max) out.push({ field: f.name, description: `at most ${max} entries per call, got ${n}` });
  }
  return out.length ? limitError(out) : undefined;
}

function limitError(out: Violation[]): ConnectError {
  const message = `request over its limits: ${out.map((v) => `${v.field}: ${v.description}`).join("; ")}`;
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, { reason: "REQUEST_LIMIT_EXCEEDED", domain: "ferry.v1" }),
    },
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: out }) },
  ]);
}

/** The error for a request over a limit, or undefined when it is within them all. */
export function checkRequestLimits(desc: DescMessage, msg: Message): ConnectError | undefined {
  const out: Violation[] = [];
  walk(desc, msg as unknown as Record<string, unknown>, "", out, 0);
  return out.length ? limitError(out) : undefined;
}
