// Whether to colour output, the same way for every command: --color and
// --no-color first (lazy() turns them into FORCE_COLOR / NO_COLOR for the
// command's run), then FORCE_COLOR (as Node.js itself ranks it, above
// NO_COLOR), then NO_COLOR (no-color.org: any non-empty value), then
// TERM=dumb, and otherwise whether the stream is a terminal.
export function colorWanted(stream: { isTTY?: boolean } = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (process.env.NO_COLOR) return false;
  if (process.env.TERM === "dumb") return false;
  return Boolean(stream.isTTY);
}

/** A terminal that can redraw a line (spinners): not a pipe, not TERM=dumb. */
export function canRedraw(stream: { isTTY?: boolean } = process.stderr): boolean {
  return Boolean(stream.isTTY) && process.env.TERM !== "dumb";
}

/** Applies --color / --no-color for the rest of this process. */
export function applyColorFlag(flag: unknown): void {
  if (flag === true) {
    process.env.FORCE_COLOR = "1";
  } else if (flag === false) {
    process.env.FORCE_COLOR = "0";
  }
}
