// A config value as YAML/JSON output shows it: of its declared type (a
// boolean option is true or false, not "true"; an int is a number), so
// scripts reading `config --format json` get what the charm declares.
import type { ConfigValue } from "../../../gen/ts/ferry/v1/resources_pb.js";

export function typedConfigValue(v: ConfigValue): string | number | boolean {
  // Values are stored normalised to their type (src/domain/config.ts), so
  // these conversions cannot lose anything; anything else stays text.
  if (v.type === "boolean" && (v.value === "true" || v.value === "false")) return v.value === "true";
  if ((v.type === "int" || v.type === "float") && v.value.trim() !== "" && Number.isFinite(Number(v.value))) {
    return Number(v.value);
  }
  return v.value;
}
