// Reconnect pauses for agents: exponential, capped, with full jitter (a random
// pause between the smallest and the current cap), so that a thousand agents
// that lost their controller at the same instant do not all come back in the
// same instant.

/** The pause before reconnect attempt `failures` (0: the first after a working connection). */
export function backoffDelay(
  failures: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(failures, 20));
  return Math.round(minMs + random() * Math.max(0, cap - minMs));
}

export { sleep } from "../util/sleep.js";
