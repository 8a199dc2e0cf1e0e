// Column-aligned tables in the style of the reference's tabular output:
// columns separated by two spaces, no borders, no trailing whitespace. Widths
// are measured on visible characters so colour codes do not skew alignment.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

export interface TableOptions {
  /** Indexes of columns to right-align (counts, numbers). */
  rightAlign?: number[];
}

export function formatTable(rows: string[][], opts: TableOptions = {}): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  const right = new Set(opts.rightAlign ?? []);
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const gap = " ".repeat((widths[i] ?? 0) - visibleLength(cell));
          if (right.has(i)) return gap + cell;
          return i === row.length - 1 ? cell : cell + gap;
        })
        .join("  ")
        .replace(/\s+$/, ""),
    )
    .join("\n");
}

/** Cut `s` to at most `max` characters, ending in "..." when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}
