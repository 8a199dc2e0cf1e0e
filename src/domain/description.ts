// The model description: the canonical document a migration moves. One JSON
// object per line (NDJSON), keys in a fixed order, entities in a fixed order
// (by kind, then primary key), so the same content always gives the same
// bytes. That is what lets VALIDATION prove an import: the destination
// re-exports its copy with the same code and must get the same SHA-256 and
// the same counts. Pure: the store reads rows, this encodes and decodes lines.
//
// What is in it: the model's content (identity, config, users and access,
// machines with agent password hashes, charm metadata and digests, applications
// and their config, units, relations and endpoints, status history). What is
// not: controller-local state (migration mode, import id, activation time, the
// model's own status, which is "busy" on the source while it migrates), charm
// archive bytes (they travel as binaries, verified by SHA-256) and log entries
// (LOGTRANSFER copies those).

/**
 * Version of the line format this release writes. The policy (ARCHITECTURE.md,
 * "Versions"): a release imports its own format and every earlier one back to
 * MIN_DESCRIPTION_FORMAT, and refuses a newer one in the prechecks, before
 * anything moves. A change to the line format bumps DESCRIPTION_FORMAT and
 * keeps a decoder for the format before it; test/upgrade proves an older
 * release's export still imports.
 */
export const DESCRIPTION_FORMAT = 2;
/** The oldest format this release still imports. */
export const MIN_DESCRIPTION_FORMAT = 2;
/** What a source that does not say its format sends: every release before the field existed wrote 2. */
export const UNSTATED_DESCRIPTION_FORMAT = 2;

/** Whether this release can import documents of `format`. */
export function importableFormat(format: number): boolean {
  return format >= MIN_DESCRIPTION_FORMAT && format <= DESCRIPTION_FORMAT;
}

/** s: string, s?: string or null, i: integer, i?: integer or null, b: boolean (0/1 in SQLite). */
export type FieldType = "s" | "s?" | "i" | "i?" | "b";

export interface KindSpec {
  /** The value of the line's "kind" key. */
  kind: string;
  /** The key of this kind in entity counts. */
  countKey: string;
  /** JSON keys in line order, with their types (the store selects columns in this order). */
  fields: readonly (readonly [string, FieldType])[];
}

/** The first line: the model itself. Not counted as an entity. */
export const MODEL_SPEC: KindSpec = {
  kind: "model",
  countKey: "model",
  fields: [
    ["format", "i"],
    ["uuid", "s"],
    ["name", "s"],
    ["owner", "s"],
    ["cloud", "s"],
    ["cloudType", "s"],
    ["region", "s"],
    ["agentVersion", "s"],
    ["isController", "b"],
    ["life", "s"],
    ["configGeneration", "i"],
    ["nextMachineId", "i"],
    ["nextRelationId", "i"],
    ["createdAt", "i"],
  ],
};

/** Entity kinds in document order. Every kind may appear zero or more times. */
export const ENTITY_SPECS: readonly KindSpec[] = [
  {
    kind: "config",
    countKey: "config",
    fields: [
      ["key", "s"],
      ["value", "s"],
    ],
  },
  {
    kind: "user",
    countKey: "users",
    fields: [
      ["user", "s"],
      ["access", "s"],
      ["lastConnectionAt", "i?"],
    ],
  },
  {
    kind: "machine",
    countKey: "machines",
    fields: [
      ["id", "s"],
      ["seq", "i"],
      ["baseName", "s"],
      ["baseChannel", "s"],
      ["instanceId", "s"],
      ["dnsName", "s"],
      ["addresses", "s"],
      ["hostname", "s"],
      ["life", "s"],
      ["agentStatus", "s"],
      ["agentMessage", "s"],
      ["agentSince", "i"],
      ["instanceStatus", "s"],
      ["instanceMessage", "s"],
      ["instanceSince", "i"],
      ["passwordHash", "s?"],
      ["createdAt", "i"],
    ],
  },
  {
    kind: "charm",
    countKey: "charms",
    fields: [
      ["url", "s"],
      ["name", "s"],
      ["revision", "i"],
      ["source", "s"],
      ["metadata", "s"],
      ["sha256", "s"],
      ["size", "i"],
      ["createdAt", "i"],
    ],
  },
  {
    kind: "application",
    countKey: "applications",
    fields: [
      ["name", "s"],
      ["charmUrl", "s"],
      ["exposed", "b"],
      ["life", "s"],
      ["baseName", "s"],
      ["baseChannel", "s"],
      ["nextUnitNum", "i"],
      ["configGeneration", "i"],
      ["createdAt", "i"],
    ],
  },
  {
    kind: "application-config",
    countKey: "applicationConfig",
    fields: [
      ["application", "s"],
      ["key", "s"],
      ["value", "s"],
    ],
  },
  {
    kind: "unit",
    countKey: "units",
    fields: [
      ["name", "s"],
      ["application", "s"],
      ["number", "i"],
      ["machineId", "s"],
      ["life", "s"],
      ["leader", "b"],
      ["workloadStatus", "s"],
      ["workloadMessage", "s"],
      ["workloadSince", "i"],
      ["agentStatus", "s"],
      ["agentMessage", "s"],
      ["agentSince", "i"],
      ["passwordHash", "s?"],
      ["workloadSeq", "i"],
      ["workloadCounter", "i"],
      ["workloadAt", "i"],
    ],
  },
  {
    kind: "relation",
    countKey: "relations",
    fields: [
      ["id", "i"],
      ["key", "s"],
      ["interface", "s"],
      ["scope", "s"],
      ["status", "s"],
      ["statusMessage", "s"],
      ["statusSince", "i"],
    ],
  },
  {
    kind: "relation-endpoint",
    countKey: "relationEndpoints",
    fields: [
      ["relationId", "i"],
      ["application", "s"],
      ["endpoint", "s"],
      ["role", "s"],
      ["interface", "s"],
    ],
  },
  {
    // Ordered by entity, then by the row's local id (which is not exported):
    // an import inserts them in document order, so each entity's history keeps
    // its order and a re-export is identical.
    kind: "status",
    countKey: "statusHistory",
    fields: [
      ["entity", "s"],
      ["statusKind", "s"],
      ["status", "s"],
      ["message", "s"],
      ["since", "i"],
      ["seq", "i?"],
    ],
  },
];

/** Entity counts with every kind present (zeros included), in document order. */
export function emptyCounts(): Record<string, number> {
  return Object.fromEntries(ENTITY_SPECS.map((s) => [s.countKey, 0]));
}

/** Why a document was refused: "invalid" (malformed) or "mismatch" (size/digest/count differ from the header). */
export class DescriptionError extends Error {
  constructor(
    readonly reason: "invalid" | "mismatch",
    message: string,
  ) {
    super(message);
    this.name = "DescriptionError";
  }
}

function encodeValue(v: unknown, t: FieldType): string {
  if (t === "b") return v ? "true" : "false"; // SQLite stores 0/1
  if (v === null || v === undefined) return "null";
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

/** Encodes rows of one kind (values in field order) as lines, newline included. */
export function lineEncoder(spec: KindSpec): (values: readonly unknown[]) => string {
  // Precomputed key prefixes: plain concatenation is several times faster than
  // building an object for JSON.stringify, and gives exactly the same text.
  const head = `{"kind":${JSON.stringify(spec.kind)}`;
  const prefixes = spec.fields.map(([k]) => `,${JSON.stringify(k)}:`);
  const types = spec.fields.map(([, t]) => t);
  const n = types.length;
  return (values) => {
    let line = head;
    for (let i = 0; i < n; i++) line += prefixes[i] + encodeValue(values[i], types[i]!);
    return line + "}\n";
  };
}

/** Encodes the model line; `values` are MODEL_SPEC's fields after "format". */
export function encodeModelLine(values: readonly unknown[]): string {
  return lineEncoder(MODEL_SPEC)([DESCRIPTION_FORMAT, ...values]);
}

const SPEC_BY_KIND = new Map<string, { spec: KindSpec; index: number }>(
  [MODEL_SPEC, ...ENTITY_SPECS].map((spec, index) => [spec.kind, { spec, index }]),
);

function checkValue(v: unknown, t: FieldType): boolean {
  switch (t) {
    case "s":
      return typeof v === "string";
    case "s?":
      return v === null || typeof v === "string";
    case "i":
      return Number.isSafeInteger(v);
    case "i?":
      return v === null || Number.isSafeInteger(v);
    case "b":
      return typeof v === "boolean";
  }
}

export interface DecodedLine {
  spec: KindSpec;
  /** Position of the kind in document order (0: the model line). */
  order: number;
  /** Values in field order; booleans as 0/1, ready to bind to SQLite. */
  values: unknown[];
}

/** Decodes one line (without its newline); throws DescriptionError("invalid"). */
export function decodeLine(text: string, lineNo: number): DecodedLine {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new DescriptionError("invalid", `model description line ${lineNo}: not valid JSON`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new DescriptionError("invalid", `model description line ${lineNo}: not a JSON object`);
  }
  const rec = obj as Record<string, unknown>;
  const found = typeof rec.kind === "string" ? SPEC_BY_KIND.get(rec.kind) : undefined;
  if (!found) {
    throw new DescriptionError("invalid", `model description line ${lineNo}: unknown kind ${JSON.stringify(rec.kind)}`);
  }
  const { spec, index } = found;
  const values: unknown[] = new Array(spec.fields.length);
  let i = 0;
  for (const [key, type] of spec.fields) {
    const v = rec[key];
    if (!checkValue(v, type)) {
      throw new DescriptionError(
        "invalid",
        `model description line ${lineNo}: ${spec.kind} field "${key}" must be ${typeName(type)}`,
      );
    }
    values[i++] = type === "b" ? (v ? 1 : 0) : v;
  }
  // kind + fields: anything else is a different format, not something to ignore.
  if (Object.keys(rec).length !== spec.fields.length + 1) {
    throw new DescriptionError("invalid", `model description line ${lineNo}: unexpected keys in ${spec.kind}`);
  }
  return { spec, order: index, values };
}

function typeName(t: FieldType): string {
  return { s: "a string", "s?": "a string or null", i: "an integer", "i?": "an integer or null", b: "a boolean" }[t];
}

/**
 * Splits a byte stream into lines as chunks arrive (a chunk may end anywhere,
 * even inside a UTF-8 sequence: a newline byte never occurs inside one, so
 * cutting at newlines and decoding whole lines is safe). Keeps only the
 * unfinished last line; a line longer than maxLine is refused.
 */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLine = 16 * 1024 * 1024) {}

  /** The complete lines in `chunk` (plus what was left over), without newlines. */
  push(chunk: Uint8Array): string[] {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const last = buf.lastIndexOf(0x0a);
    if (last < 0) {
      this.rest = this.rest.length ? Buffer.concat([this.rest, buf]) : Buffer.from(buf);
      this.checkRest();
      return [];
    }
    const text = this.rest.length
      ? Buffer.concat([this.rest, buf.subarray(0, last)]).toString("utf8")
      : buf.toString("utf8", 0, last);
    // Copy: the caller may reuse the chunk's memory.
    this.rest = Buffer.from(buf.subarray(last + 1));
    this.checkRest();
    return text.split("\n");
  }

  /** Bytes of an unfinished line (a complete document ends with a newline). */
  get pending(): number {
    return this.rest.length;
  }

  private checkRest(): void {
    if (this.rest.length > this.maxLine) {
      throw new DescriptionError("invalid", `model description line longer than ${this.maxLine} bytes`);
    }
  }
}
