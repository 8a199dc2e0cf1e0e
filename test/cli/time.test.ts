import { describe, expect, it } from "vitest";
import { formatClock, formatDateTime, relativeTime } from "../../src/cli/output/time.js";

const now = new Date(Date.UTC(2026, 10, 26, 14, 3, 7));
const ago = (ms: number) => new Date(now.getTime() - ms);

describe("relativeTime", () => {
  it.each([
    [0, "just now"],
    [1_999, "just now"],
    [-5_000, "just now"], // clock skew
    [2_000, "2 seconds ago"],
    [21_000, "21 seconds ago"],
    [59_999, "59 seconds ago"],
    [60_000, "1 minute ago"],
    [3 * 60_000 + 10_000, "3 minutes ago"],
    [59 * 60_000, "59 minutes ago"],
    [3_600_000, "1 hour ago"],
    [2 * 3_600_000 + 5, "2 hours ago"],
    [23 * 3_600_000 + 59 * 60_000, "23 hours ago"],
  ])("%i ms ago is %s", (ms, text) => {
    expect(relativeTime(ago(ms), now)).toBe(text);
  });

  it("shows a date once a day or more has passed", () => {
    expect(relativeTime(ago(24 * 3_600_000), now)).toBe("25 Nov 2026 14:03:07Z");
    expect(relativeTime(new Date(Date.UTC(2025, 0, 3, 4, 5, 6)), now)).toBe("03 Jan 2025 04:05:06Z");
  });
});

describe("formats", () => {
  it("prints UTC with a Z", () => {
    expect(formatClock(now)).toBe("14:03:07Z");
    expect(formatDateTime(now)).toBe("26 Nov 2026 14:03:07Z");
  });
});
