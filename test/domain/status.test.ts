import { describe, expect, it } from "vitest";
import { deriveApplicationStatus, fakeAddress, levelsAtLeast, parseLogLevel } from "../../src/domain/status.js";

describe("application status", () => {
  it("is the worst unit status", () => {
    const s = (current: string, since = 1) => ({ current, message: current, since });
    expect(deriveApplicationStatus([s("active"), s("waiting"), s("maintenance")], 0).current).toBe("maintenance");
    expect(deriveApplicationStatus([s("active"), s("blocked"), s("error", 5)], 0).current).toBe("error");
    expect(deriveApplicationStatus([s("active", 3), s("active", 2)], 0).since).toBe(2);
    expect(deriveApplicationStatus([], 7)).toEqual({ current: "unknown", message: "", since: 7 });
  });
});

describe("log levels", () => {
  it("parses and filters", () => {
    expect(parseLogLevel("warn")).toBe("WARNING");
    expect(parseLogLevel("nope")).toBeUndefined();
    expect(levelsAtLeast("WARNING")).toEqual(["WARNING", "ERROR"]);
  });
});

describe("fake addresses", () => {
  it("are deterministic and distinct per machine", () => {
    const uuid = "5f227519-3cdb-4538-871c-1c4589a4598a";
    expect(fakeAddress(uuid, 0)).toBe("10.95.0.2");
    expect(fakeAddress(uuid, 0)).toBe(fakeAddress(uuid, 0));
    const all = new Set(Array.from({ length: 1000 }, (_, i) => fakeAddress(uuid, i)));
    expect(all.size).toBe(1000);
  });
});
