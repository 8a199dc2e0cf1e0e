// Quoting what a caller sent inside an error message: at most a short prefix
// and its length, so a 1 MB name cannot make a 1 MB error (issue 11).

/** `"value"`, or `"first 60 characters…" (N characters)` when it is long. */
export function q(value: string, max = 64): string {
  if (value.length <= max) return `"${value}"`;
  return `"${value.slice(0, max - 4)}…" (${value.length} characters)`;
}
