import { describe, expect, it } from "vitest";
import { formatTable, truncate, visibleLength } from "../../src/cli/output/table.js";

describe("formatTable", () => {
  it("pads columns by two spaces and trims trailing whitespace", () => {
    expect(
      formatTable([
        ["a", "bb", "c"],
        ["ccc", "", ""],
      ]),
    ).toBe("a    bb  c\nccc");
  });
  it("right-aligns numeric columns", () => {
    expect(
      formatTable(
        [
          ["Name", "Units"],
          ["x", "10"],
          ["y", "2"],
        ],
        { rightAlign: [1] },
      ),
    ).toBe("Name  Units\nx        10\ny         2");
  });
  it("measures coloured cells by their visible width", () => {
    expect(visibleLength("\u001b[32mactive\u001b[39m")).toBe(6);
    expect(
      formatTable([
        ["\u001b[32mab\u001b[39m", "x"],
        ["abcd", "y"],
      ]).replace(/\u001b\[\d+m/g, ""),
    ).toBe("ab    x\nabcd  y");
  });
});

describe("truncate", () => {
  it("keeps short strings and cuts long ones to the limit with ...", () => {
    expect(truncate("abc", 5)).toBe("abc");
    expect(truncate("abcdef", 5)).toBe("ab...");
  });
});
