// "1 application", "3 applications", "0 units": counts in messages people read.

/** `n` and the noun, plural unless n is 1 (`plural` when it is not just noun + "s"). */
export function count(n: number | bigint, noun: string, plural = `${noun}s`): string {
  return `${n} ${Number(n) === 1 ? noun : plural}`;
}
