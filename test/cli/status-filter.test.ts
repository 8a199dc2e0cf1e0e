import { describe, expect, it } from "vitest";
import { filterStatus } from "../../src/cli/output/status-filter.js";
import { statusShort } from "../../src/cli/output/status-short.js";
import { statusTable } from "../../src/cli/output/status-table.js";
import { sampleStatus } from "./fixtures.js";

const names = (selectors: string[]) => {
  const { status, unmatched } = filterStatus(sampleStatus(), selectors);
  return {
    apps: status.applications.map((a) => a.name),
    units: status.applications.flatMap((a) => a.units.map((u) => u.name)),
    machines: status.machines.map((m) => m.id),
    relations: status.relations.length,
    unmatched,
  };
};

describe("status selectors", () => {
  it("keep everything when there are none", () => {
    expect(names([])).toEqual({
      apps: ["postgresql", "wordpress"],
      units: ["postgresql/0", "wordpress/0"],
      machines: ["0", "1"],
      relations: 1,
      unmatched: [],
    });
  });

  it("an application brings its units, their machines and its relations", () => {
    expect(names(["wordpress"])).toEqual({
      apps: ["wordpress"],
      units: ["wordpress/0"],
      machines: ["1"],
      relations: 1,
      unmatched: [],
    });
  });

  it("a machine id brings the units it hosts; a unit its machine; wildcards match names", () => {
    expect(names(["0"])).toMatchObject({ apps: ["postgresql"], units: ["postgresql/0"], machines: ["0"] });
    expect(names(["wordpress/0"])).toMatchObject({ apps: ["wordpress"], machines: ["1"] });
    expect(names(["post*"])).toMatchObject({ apps: ["postgresql"] });
    expect(names(["*/0"])).toMatchObject({ units: ["postgresql/0", "wordpress/0"] });
  });

  it("statuses and exposure match, and selectors that match nothing are reported", () => {
    expect(names(["idle"]).units).toEqual(["postgresql/0", "wordpress/0"]);
    expect(names(["error"])).toEqual({ apps: [], units: [], machines: [], relations: 0, unmatched: ["error"] });
    expect(names(["unexposed"]).apps).toEqual(["postgresql", "wordpress"]);
    expect(names(["exposed", "wordpress"])).toMatchObject({ apps: ["wordpress"], unmatched: ["exposed"] });
  });

  it("refuses a selector that could never match, before any call", () => {
    expect(() => filterStatus(sampleStatus(), ["Bad!"])).toThrow(/invalid status selector "Bad!"/);
  });
});

describe("status --format short and --no-relations", () => {
  it("prints one line per unit", () => {
    expect(statusShort(sampleStatus())).toBe(
      [
        "- postgresql/0: 10.0.0.2 (agent:idle, workload:active)",
        "- wordpress/0: 10.0.0.3 (agent:idle, workload:active)",
      ].join("\n"),
    );
    expect(statusShort(sampleStatus(), { color: true })).toContain("\u001b[32midle\u001b[39m");
  });

  it("--no-relations leaves the Integration section out", () => {
    expect(statusTable(sampleStatus(), { controllerName: "src" })).toContain("Integration provider");
    expect(statusTable(sampleStatus(), { controllerName: "src", relations: false })).not.toContain("Integration");
  });
});
