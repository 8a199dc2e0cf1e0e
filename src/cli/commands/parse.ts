// Parsing of command-line values shared by several commands.
import { CliError } from "../errors.js";

/** ["a=1", "b=x=y"] -> {a: "1", b: "x=y"} */
export function parseKeyValues(items: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const i = item.indexOf("=");
    if (i <= 0) throw new CliError(`invalid setting "${item}": expected key=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** "a,b, c" -> ["a", "b", "c"] */
export function parseList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
