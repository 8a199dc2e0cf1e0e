// Structured output: YAML (the default for show-*) or JSON (compact, one
// line, for scripts — as the reference prints it).
import { stringify } from "yaml";
import { CliError } from "../errors.js";

export type Format = "tabular" | "yaml" | "json";

export function parseFormat(value: string | undefined, allowed: Format[], fallback: Format): Format {
  const f = (value ?? fallback) as Format;
  if (!allowed.includes(f)) throw new CliError(`invalid --format "${value}": expected one of ${allowed.join(", ")}`);
  return f;
}

export function toYaml(doc: unknown): string {
  return stringify(doc, { singleQuote: true, lineWidth: 0 }).replace(/\n$/, "");
}

export function toJson(doc: unknown): string {
  return JSON.stringify(doc);
}

export function structured(doc: unknown, format: "yaml" | "json"): string {
  return format === "json" ? toJson(doc) : toYaml(doc);
}
