// Typed configuration: charm options (string/int/float/boolean with defaults)
// and model config (free-form keys plus a few known ones with defaults).
// Values travel as text on the wire and in the store; here they are checked
// and normalised so that what is stored always parses as its declared type.
import { validateCharmConfigKey, validateModelConfigKey } from "./names.js";
import { q } from "./quote.js";

export type OptionType = "string" | "int" | "float" | "boolean";
export const OPTION_TYPES: readonly OptionType[] = ["string", "int", "float", "boolean"];

export interface CharmOption {
  type: OptionType;
  /** Default as normalised text; undefined when the charm declares none. */
  default?: string;
  description: string;
}

export type CharmOptions = Record<string, CharmOption>;

export function isOptionType(s: string): s is OptionType {
  return (OPTION_TYPES as readonly string[]).includes(s);
}

// The reference parses booleans with Go's strconv.ParseBool; accept the same.
const TRUE_WORDS = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** Checks `value` against `type`; returns the normalised text or an error. */
export function coerceOptionValue(type: OptionType, value: string): { value: string } | { error: string } {
  switch (type) {
    case "string":
      return { value };
    case "int": {
      const t = value.trim();
      if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
        return { error: `expected an integer, got ${q(value)}` };
      }
      return { value: String(Number(t)) };
    }
    case "float": {
      const t = value.trim();
      const n = Number(t);
      if (t === "" || !Number.isFinite(n)) return { error: `expected a number, got ${q(value)}` };
      return { value: String(n) };
    }
    case "boolean":
      if (TRUE_WORDS.has(value.trim())) return { value: "true" };
      if (FALSE_WORDS.has(value.trim())) return { value: "false" };
      return { error: `expected true or false, got ${q(value)}` };
  }
}

/** A config value as shown to users, with where it came from. */
export interface ConfigEntry {
  value: string;
  source: "default" | "user" | "model";
  type?: string;
  description?: string;
}

/** Per-key problems, keyed by the option name. */
export type ConfigProblems = { key: string; description: string }[];

/**
 * Applies `set` and `unset` to an application's user values, checking every
 * key against the charm's options. Returns the new user values or every
 * problem found (all at once, so users fix them in one go).
 */
/**
 * Limits of one application's or one model's stored config (issue 11): every
 * read of it must fit a response, whatever writes were accepted. Checked on
 * the config as it would be after the write, before anything is committed.
 */
export const MAX_CONFIG_VALUE_BYTES = 64 * 1024;
export const MAX_CONFIG_KEYS = 1000;
export const MAX_CONFIG_BYTES = 1024 * 1024;

function configBounds(values: Record<string, string>, problems: ConfigProblems): void {
  const keys = Object.keys(values);
  if (keys.length > MAX_CONFIG_KEYS) {
    problems.push({ key: "", description: `at most ${MAX_CONFIG_KEYS} keys, this write would make ${keys.length}` });
  }
  let total = 0;
  for (const k of keys) {
    const bytes = Buffer.byteLength(values[k]!, "utf8");
    if (bytes > MAX_CONFIG_VALUE_BYTES) {
      problems.push({ key: k, description: `value of ${bytes} bytes; at most ${MAX_CONFIG_VALUE_BYTES}` });
    }
    total += bytes + Buffer.byteLength(k, "utf8");
  }
  if (total > MAX_CONFIG_BYTES) {
    problems.push({
      key: "",
      description: `at most ${MAX_CONFIG_BYTES} bytes of config, this write would make ${total}`,
    });
  }
}

export function applyCharmConfig(
  options: CharmOptions,
  current: Record<string, string>,
  set: Record<string, string>,
  unset: string[] = [],
): { values: Record<string, string> } | { problems: ConfigProblems } {
  const problems: ConfigProblems = [];
  const values = { ...current };
  for (const key of unset) {
    if (!options[key]) problems.push({ key, description: `unknown option ${q(key)}` });
    else delete values[key];
  }
  for (const [key, raw] of Object.entries(set)) {
    const option = options[key];
    if (!option) {
      problems.push({ key, description: `unknown option ${q(key)}` });
      continue;
    }
    const coerced = coerceOptionValue(option.type, raw);
    if ("error" in coerced) problems.push({ key, description: `option ${q(key)}: ${coerced.error}` });
    else values[key] = coerced.value;
  }
  if (!problems.length) configBounds(values, problems);
  return problems.length ? { problems } : { values };
}

/** Every option of a charm with its effective value. */
export function charmConfigView(
  options: CharmOptions,
  userValues: Record<string, string>,
): Record<string, ConfigEntry> {
  const out: Record<string, ConfigEntry> = {};
  for (const [key, option] of Object.entries(options)) {
    const user = userValues[key];
    out[key] = {
      value: user ?? option.default ?? "",
      source: user !== undefined ? "user" : "default",
      type: option.type,
      description: option.description,
    };
  }
  return out;
}

/** Checks a charm's declared options (from config.yaml) and normalises defaults. */
export function validateCharmOptions(options: CharmOptions): string | undefined {
  for (const [key, option] of Object.entries(options)) {
    const badKey = validateCharmConfigKey(key);
    if (badKey) return badKey;
    if (!isOptionType(option.type)) return `option ${q(key)} has unknown type "${option.type}"`;
    if (option.default !== undefined) {
      const coerced = coerceOptionValue(option.type, option.default);
      if ("error" in coerced) return `option ${q(key)} default: ${coerced.error}`;
      option.default = coerced.value;
    }
  }
  return undefined;
}

// ---- model config ----------------------------------------------------------

interface ModelConfigKey {
  default?: string;
  description: string;
  /** As a charm option declares it, so clients show a boolean as a boolean. */
  type: "string" | "boolean";
  check?: (value: string) => string | undefined;
}

const BASE_RE = /^[a-z]+@\d+(\.\d+)?$/;
const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

function checkLoggingConfig(value: string): string | undefined {
  for (const part of value
    .split(";")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0 || !LOG_LEVELS.includes(part.slice(eq + 1).toUpperCase())) {
      return `expected "<module>=LEVEL;..." with LEVEL one of ${LOG_LEVELS.join(", ")}, got ${q(part)}`;
    }
  }
  return undefined;
}

function checkBoolean(value: string): string | undefined {
  const c = coerceOptionValue("boolean", value);
  return "error" in c ? c.error : undefined;
}

/** Keys the controller understands; others are stored as given. */
export const MODEL_CONFIG_KEYS: Record<string, ModelConfigKey> = {
  "default-base": {
    default: "ubuntu@24.04",
    description: "The default base for new machines and applications",
    type: "string",
    check: (v) => (BASE_RE.test(v) ? undefined : `expected <name>@<channel> such as "ubuntu@24.04", got "${v}"`),
  },
  "logging-config": {
    default: "<root>=INFO",
    description: "The logging levels of the model's agents",
    type: "string",
    check: checkLoggingConfig,
  },
  "automatically-retry-hooks": {
    default: "true",
    description: "Whether failed hooks are retried automatically",
    type: "boolean",
    check: checkBoolean,
  },
  "update-status-hook-interval": {
    default: "5m",
    description: "How often the update-status hook runs",
    type: "string",
    check: (v) => (/^\d+(s|m|h)$/.test(v) ? undefined : `expected a duration such as "5m", got "${v}"`),
  },
};

/** Describes the model itself; shown with source "model" and never settable. */
export const READ_ONLY_MODEL_KEYS = ["name", "uuid", "type"];

/** Checks one model config value; returns the normalised value or an error. */
export function checkModelConfigValue(key: string, value: string): { value: string } | { error: string } {
  const badKey = validateModelConfigKey(key);
  if (badKey) return { error: badKey };
  if (READ_ONLY_MODEL_KEYS.includes(key)) return { error: `${q(key)} is read-only` };
  const known = MODEL_CONFIG_KEYS[key];
  const problem = known?.check?.(value);
  if (problem) return { error: problem };
  if (key === "automatically-retry-hooks") return coerceOptionValue("boolean", value);
  return { value };
}

/** Applies set/unset to stored model config; every problem at once. */
export function applyModelConfig(
  current: Record<string, string>,
  set: Record<string, string>,
  unset: string[] = [],
): { values: Record<string, string> } | { problems: ConfigProblems } {
  const problems: ConfigProblems = [];
  const values = { ...current };
  for (const key of unset) {
    if (READ_ONLY_MODEL_KEYS.includes(key)) problems.push({ key, description: `${q(key)} is read-only` });
    else delete values[key];
  }
  for (const [key, raw] of Object.entries(set)) {
    const checked = checkModelConfigValue(key, raw);
    if ("error" in checked) problems.push({ key, description: checked.error });
    else values[key] = checked.value;
  }
  if (!problems.length) configBounds(values, problems);
  return problems.length ? { problems } : { values };
}

/** The model config as shown: model facts, stored values, then defaults. */
export function modelConfigView(
  model: { name: string; uuid: string; type: string },
  stored: Record<string, string>,
): Record<string, ConfigEntry> {
  const out: Record<string, ConfigEntry> = {
    name: { value: model.name, source: "model", type: "string" },
    uuid: { value: model.uuid, source: "model", type: "string" },
    type: { value: model.type, source: "model", type: "string" },
  };
  for (const [key, known] of Object.entries(MODEL_CONFIG_KEYS)) {
    if (known.default !== undefined) {
      out[key] = { value: known.default, source: "default", type: known.type, description: known.description };
    }
  }
  for (const [key, value] of Object.entries(stored)) {
    const known = MODEL_CONFIG_KEYS[key];
    // Keys the controller does not know are stored as given: text.
    out[key] = { value, source: "user", type: known?.type ?? "string", description: known?.description };
  }
  return out;
}

/** The default base of a model from its stored config, as {name, channel}. */
export function defaultBase(stored: Record<string, string>): { name: string; channel: string } {
  const text = stored["default-base"] ?? MODEL_CONFIG_KEYS["default-base"]!.default!;
  const at = text.indexOf("@");
  return { name: text.slice(0, at), channel: text.slice(at + 1) };
}
