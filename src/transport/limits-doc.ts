// The "Limits:" paragraph of every RPC's proto comment, computed from the
// same tables the server checks (limits.ts and the constants beside the
// handlers), so the contract's comments cannot drift from what is enforced:
// test/gen/proto-limits.test.ts fails when a proto file's paragraphs differ
// from these, and `npm run proto:limits` rewrites them.
import type { DescField, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { MAX_CHARM_ARCHIVE } from "../domain/charms.js";
import { MAX_CONFIG_BYTES, MAX_CONFIG_KEYS, MAX_CONFIG_VALUE_BYTES } from "../domain/config.js";
import { MAX_UPLOAD_BYTES_IN_FLIGHT } from "../services/model-service-charms.js";
import { MAX_DOCUMENT } from "../services/migration-target-support.js";
import { MAX_MESSAGE_BYTES, STREAM_IDLE_DEFAULT_MS } from "./adapter.js";
import { itemLimit, MAX_STRING_BYTES } from "./limits.js";

const MiB = 1024 * 1024;

function size(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB) return `${bytes / MiB} MiB`;
  return `${bytes / 1024} KiB`;
}

const config = (of: string) =>
  `config values at most ${size(MAX_CONFIG_VALUE_BYTES)}, and at most ${MAX_CONFIG_KEYS.toLocaleString("en-US")} keys and ${size(MAX_CONFIG_BYTES)} in all per ${of} after the change`;

/** Limits that are not per field: what a whole stream or call may do. */
const EXTRA: Record<string, string> = {
  "ferry.v1.ModelService.CreateModel": config("model"),
  "ferry.v1.ModelService.UpdateModelConfig": config("model"),
  "ferry.v1.ModelService.DeployApplication": config("application"),
  "ferry.v1.ModelService.UpdateApplicationConfig": config("application"),
  "ferry.v1.ModelService.UploadCharm": `the archive at most ${size(MAX_CHARM_ARCHIVE)}, in chunks of at most 1 MiB; uploads in progress may declare ${size(MAX_UPLOAD_BYTES_IN_FLIGHT)} in all per controller process (UNAVAILABLE, UPLOADS_BUSY, with RetryInfo)`,
  "ferry.v1.MigrationTargetService.Import": `the model description at most ${size(MAX_DOCUMENT)}`,
  "ferry.v1.ControllerService.Login": `repeated wrong passwords are throttled per address and per user (RESOURCE_EXHAUSTED, LOGIN_THROTTLED, with RetryInfo)`,
};

/** Paths of every repeated or map field reachable from `desc`, with their limits. */
function listFields(desc: DescMessage, prefix: string, out: Map<string, number>, seen: Set<string>): void {
  if (seen.has(desc.typeName)) return;
  seen.add(desc.typeName);
  const visit = (f: DescField) => {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    if (f.fieldKind === "list" || f.fieldKind === "map") out.set(path, itemLimit(desc, f));
    const sub =
      f.fieldKind === "message"
        ? f.message
        : f.fieldKind === "list" && f.listKind === "message"
          ? f.message
          : f.fieldKind === "map" && f.mapKind === "message"
            ? f.message
            : undefined;
    if (sub && !sub.typeName.startsWith("google.")) listFields(sub, path, out, seen);
  };
  for (const f of desc.fields) visit(f);
  seen.delete(desc.typeName);
}

/** The text of one RPC's limits, as one sentence. */
export function limitsText(method: DescMethod): string {
  const streams = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const parts: string[] = [
    streams
      ? `each request message at most ${size(MAX_MESSAGE_BYTES)}, and the stream is closed after ${STREAM_IDLE_DEFAULT_MS / 1000} s without one (DEADLINE_EXCEEDED, STREAM_IDLE)`
      : `the request at most ${size(MAX_MESSAGE_BYTES)}`,
  ];
  const lists = new Map<string, number>();
  listFields(method.input, "", lists, new Set());
  const byLimit = new Map<number, string[]>();
  for (const [path, n] of lists) byLimit.set(n, [...(byLimit.get(n) ?? []), `\`${path}\``]);
  for (const [n, paths] of [...byLimit].sort((a, b) => a[0] - b[0])) {
    parts.push(`${paths.join(", ")} at most ${n.toLocaleString("en-US")} entries${paths.length > 1 ? " each" : ""}`);
  }
  parts.push(`any string field at most ${size(MAX_STRING_BYTES)}`);
  const extra = EXTRA[`${method.parent.typeName}.${method.name}`];
  if (extra) parts.push(extra);
  return `Limits: ${parts.join("; ")}.`;
}

function wrap(text: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const lead = lines.length === 0 ? `${indent}// ` : `${indent}//   `;
    if (line && (lead + line + " " + word).length > width) {
      lines.push(lead + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push((lines.length === 0 ? `${indent}// ` : `${indent}//   `) + line);
  return lines;
}

/**
 * The proto file's text with each of `services`' RPC comments ending in its
 * Limits paragraph (replacing the one there). Everything else is kept as is.
 */
export function withLimitComments(text: string, services: readonly DescService[]): string {
  const methods = new Map<string, DescMethod>();
  for (const s of services) for (const m of s.methods) methods.set(m.name, m);
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const rpc = /^(\s*)rpc (\w+)\(/.exec(line);
    const method = rpc && methods.get(rpc[2]!);
    if (rpc && method) {
      // Drop an old paragraph: from its "Limits:" line to here.
      let i = out.length;
      while (i > 0 && /^\s*\/\//.test(out[i - 1]!)) i--;
      const start = out.slice(i).findIndex((l) => /^\s*\/\/ Limits:/.test(l));
      if (start >= 0) out.length = i + start;
      out.push(...wrap(limitsText(method), rpc[1]!));
    }
    out.push(line);
  }
  return out.join("\n");
}
