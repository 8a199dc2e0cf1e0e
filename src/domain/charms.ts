// Charms: their metadata (endpoints and config options), their URLs and their
// archives. An archive is a real zip with metadata.yaml and config.yaml at the
// root, as the reference system's charms are; the bytes are what gets stored,
// checksummed and later migrated, so building one must be deterministic.
import { createHash } from "node:crypto";
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from "fflate";
import { verifyZip } from "./zip-verify.js";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { isOptionType, validateCharmOptions, type CharmOptions } from "./config.js";
import { validateCharmName, validateEndpointName } from "./names.js";

export type EndpointRole = "provider" | "requirer" | "peer";
export type RelationScope = "global" | "container";

export interface CharmEndpointDef {
  name: string;
  role: EndpointRole;
  interface: string;
  scope: RelationScope;
  /** Maximum number of relations on this endpoint; 0 = unlimited. */
  limit: number;
}

export interface CharmMeta {
  name: string;
  summary: string;
  description: string;
  endpoints: CharmEndpointDef[];
  config: CharmOptions;
}

/** What the store keeps as charms.metadata (JSON): everything but the name. */
export type StoredCharmMetadata = Omit<CharmMeta, "name">;

export const MAX_CHARM_ARCHIVE = 64 * 1024 * 1024;
/** metadata.yaml and config.yaml are small; refuse absurd ones before inflating. */
const MAX_YAML_FILE = 1024 * 1024;

export type CharmSource = "builtin" | "local";

export interface CharmUrl {
  source: CharmSource;
  name: string;
  revision: number;
}

const SCHEMA_OF: Record<CharmSource, string> = { builtin: "ferry", local: "local" };

export function formatCharmUrl(u: CharmUrl): string {
  return `${SCHEMA_OF[u.source]}:${u.name}-${u.revision}`;
}

/**
 * Parses "ferry:<name>-<rev>" or "local:<name>-<rev>"; the revision may be
 * omitted ("local:foo") to mean the latest, returned as revision -1.
 */
export function parseCharmUrl(url: string): CharmUrl | undefined {
  const m = /^(ferry|local):([a-z][a-z0-9-]*?)(?:-(\d+))?$/.exec(url);
  if (!m) return undefined;
  const source: CharmSource = m[1] === "ferry" ? "builtin" : "local";
  const name = m[2]!;
  if (validateCharmName(name)) return undefined;
  return { source, name, revision: m[3] === undefined ? -1 : Number(m[3]) };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// ---- building archives ------------------------------------------------------

// fflate stores DOS times, which are local-time fields; a Date built from local
// components yields the same fields in every time zone, so the bytes (and the
// SHA-256) of a built archive do not depend on where the controller runs.
const FIXED_MTIME = new Date(2024, 0, 1, 0, 0, 0);

function metadataDocument(meta: CharmMeta): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: meta.name, summary: meta.summary, description: meta.description };
  const sections: [string, EndpointRole][] = [
    ["provides", "provider"],
    ["requires", "requirer"],
    ["peers", "peer"],
  ];
  for (const [section, role] of sections) {
    const eps = meta.endpoints.filter((e) => e.role === role);
    if (!eps.length) continue;
    doc[section] = Object.fromEntries(
      eps.map((e) => {
        const body: Record<string, unknown> = { interface: e.interface };
        if (e.scope !== "global") body.scope = e.scope;
        if (e.limit !== defaultLimit(role)) body.limit = e.limit;
        return [e.name, body];
      }),
    );
  }
  return doc;
}

function configDocument(options: CharmOptions): Record<string, unknown> {
  const typed = (type: string, text: string): unknown =>
    type === "int" || type === "float" ? Number(text) : type === "boolean" ? text === "true" : text;
  return {
    options: Object.fromEntries(
      Object.entries(options).map(([key, o]) => [
        key,
        o.default === undefined
          ? { type: o.type, description: o.description }
          : { type: o.type, default: typed(o.type, o.default), description: o.description },
      ]),
    ),
  };
}

/** Builds a deterministic charm archive; `extra` adds files (path -> text). */
export function buildCharmArchive(meta: CharmMeta, extra: Record<string, string> = {}): Uint8Array {
  const fileOpts = { mtime: FIXED_MTIME };
  // Hooks are executable in a real charm; keep the unix mode in the zip.
  const execOpts = { mtime: FIXED_MTIME, os: 3, attrs: 0o100755 << 16 };
  const files: Zippable = {
    "metadata.yaml": [strToU8(stringifyYaml(metadataDocument(meta))), fileOpts],
    "config.yaml": [strToU8(stringifyYaml(configDocument(meta.config))), fileOpts],
  };
  for (const path of Object.keys(extra).sort()) {
    files[path] = [strToU8(extra[path]!), path.startsWith("hooks/") ? execOpts : fileOpts];
  }
  return zipSync(files, { level: 6, mtime: FIXED_MTIME });
}

// ---- parsing archives -------------------------------------------------------

/** Requirers and peers default to one relation, providers to unlimited (as the reference). */
function defaultLimit(role: EndpointRole): number {
  return role === "provider" ? 0 : 1;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseEndpoints(doc: Record<string, unknown>): CharmEndpointDef[] | string {
  const out: CharmEndpointDef[] = [];
  const seen = new Set<string>();
  const sections: [string, EndpointRole][] = [
    ["provides", "provider"],
    ["requires", "requirer"],
    ["peers", "peer"],
  ];
  for (const [section, role] of sections) {
    const raw = doc[section];
    if (raw === undefined || raw === null) continue;
    if (!isRecord(raw)) return `metadata.yaml: "${section}" must be a map of endpoints`;
    for (const [name, body] of Object.entries(raw)) {
      const badName = validateEndpointName(name);
      if (badName) return `metadata.yaml: ${badName}`;
      if (seen.has(name)) return `metadata.yaml: endpoint "${name}" is declared twice`;
      seen.add(name);
      // The reference accepts the short form `db: pgsql` as well as a map.
      const spec: Record<string, unknown> = typeof body === "string" ? { interface: body } : isRecord(body) ? body : {};
      const iface = spec.interface;
      if (typeof iface !== "string" || !iface) return `metadata.yaml: endpoint "${name}" needs an interface`;
      const scope = spec.scope ?? "global";
      if (scope !== "global" && scope !== "container") {
        return `metadata.yaml: endpoint "${name}" has scope "${String(scope)}" (use global or container)`;
      }
      const limit = spec.limit ?? defaultLimit(role);
      if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
        return `metadata.yaml: endpoint "${name}" limit must be a non-negative integer`;
      }
      out.push({ name, role, interface: iface, scope, limit });
    }
  }
  return out;
}

function parseOptions(doc: unknown): CharmOptions | string {
  if (doc === undefined || doc === null) return {};
  if (!isRecord(doc)) return "config.yaml must be a map";
  const raw = doc.options ?? {};
  if (!isRecord(raw)) return `config.yaml: "options" must be a map`;
  const options: CharmOptions = {};
  for (const [key, body] of Object.entries(raw)) {
    if (!isRecord(body)) return `config.yaml: option "${key}" must be a map`;
    const type = body.type ?? "string";
    if (typeof type !== "string" || !isOptionType(type)) {
      return `config.yaml: option "${key}" has unknown type "${String(type)}" (use string, int, float or boolean)`;
    }
    const d = body.default;
    if (d !== undefined && d !== null && typeof d === "object")
      return `config.yaml: option "${key}" default must be a scalar`;
    options[key] = {
      type,
      default: d === undefined || d === null ? undefined : String(d),
      description: typeof body.description === "string" ? body.description : "",
    };
  }
  const problem = validateCharmOptions(options);
  return problem ? `config.yaml: ${problem}` : options;
}

function parseYamlFile(name: string, text: string): { doc: unknown } | { error: string } {
  try {
    return { doc: parseYaml(text, { maxAliasCount: 100 }) };
  } catch (e) {
    return { error: `${name} is not valid YAML: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** Reads a charm archive's metadata; returns what is wrong with it otherwise. For archives we built (samples). */
export function parseCharmArchive(bytes: Uint8Array): { meta: CharmMeta } | { error: string } {
  if (bytes.length > MAX_CHARM_ARCHIVE) return { error: `archive is larger than ${MAX_CHARM_ARCHIVE} bytes` };
  let files: Record<string, Uint8Array>;
  let tooBig: string | undefined;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.name !== "metadata.yaml" && f.name !== "config.yaml") return false;
        if (f.originalSize > MAX_YAML_FILE) {
          tooBig = f.name;
          return false;
        }
        return true;
      },
    });
  } catch (e) {
    return { error: `not a valid zip archive: ${(e as Error).message}` };
  }
  if (tooBig) return { error: `${tooBig} is larger than ${MAX_YAML_FILE} bytes` };
  return charmFromFiles(files);
}

/** Entries and declared unpacked bytes an uploaded charm may have. */
export const MAX_CHARM_ENTRIES = 10_000;
export const MAX_CHARM_UNPACKED = 256 * 1024 * 1024;

/**
 * An uploaded archive, trusted for nothing: every entry inflated off the
 * event loop and never past its declared size, every CRC checked
 * (./zip-verify.ts), then its metadata read.
 */
export async function verifyCharmArchive(bytes: Uint8Array): Promise<{ meta: CharmMeta } | { error: string }> {
  if (bytes.length > MAX_CHARM_ARCHIVE) return { error: `archive is larger than ${MAX_CHARM_ARCHIVE} bytes` };
  const checked = await verifyZip(
    bytes,
    { maxEntries: MAX_CHARM_ENTRIES, maxTotalBytes: MAX_CHARM_UNPACKED },
    (name) => name === "metadata.yaml" || name === "config.yaml",
  );
  if ("error" in checked) return { error: `not a valid zip archive: ${checked.error}` };
  for (const [name, data] of Object.entries(checked.files)) {
    if (data.length > MAX_YAML_FILE) return { error: `${name} is larger than ${MAX_YAML_FILE} bytes` };
  }
  return charmFromFiles(checked.files);
}

function charmFromFiles(files: Record<string, Uint8Array>): { meta: CharmMeta } | { error: string } {
  const metaBytes = files["metadata.yaml"];
  if (!metaBytes) return { error: "archive has no metadata.yaml at its root" };
  const metaDoc = parseYamlFile("metadata.yaml", strFromU8(metaBytes));
  if ("error" in metaDoc) return metaDoc;
  if (!isRecord(metaDoc.doc)) return { error: "metadata.yaml must be a map" };
  const doc = metaDoc.doc;
  if (typeof doc.name !== "string") return { error: "metadata.yaml has no name" };
  const badName = validateCharmName(doc.name);
  if (badName) return { error: `metadata.yaml: ${badName}` };
  const endpoints = parseEndpoints(doc);
  if (typeof endpoints === "string") return { error: endpoints };
  let config: CharmOptions = {};
  const configBytes = files["config.yaml"];
  if (configBytes) {
    const configDoc = parseYamlFile("config.yaml", strFromU8(configBytes));
    if ("error" in configDoc) return configDoc;
    const parsed = parseOptions(configDoc.doc);
    if (typeof parsed === "string") return { error: parsed };
    config = parsed;
  }
  return {
    meta: {
      name: doc.name,
      summary: typeof doc.summary === "string" ? doc.summary : "",
      description: typeof doc.description === "string" ? doc.description : "",
      endpoints,
      config,
    },
  };
}

export function storedMetadata(meta: CharmMeta): StoredCharmMetadata {
  return { summary: meta.summary, description: meta.description, endpoints: meta.endpoints, config: meta.config };
}

/** Reads charms.metadata back; tolerant of older rows without description. */
export function metaFromStored(name: string, json: string): CharmMeta {
  const m = JSON.parse(json) as Partial<StoredCharmMetadata>;
  return {
    name,
    summary: m.summary ?? "",
    description: m.description ?? "",
    endpoints: m.endpoints ?? [],
    config: m.config ?? {},
  };
}
