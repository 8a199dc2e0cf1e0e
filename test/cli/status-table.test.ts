import { describe, expect, it } from "vitest";
import { statusTable, NOTES_MAX } from "../../src/cli/output/status-table.js";
import { sampleStatus } from "./fixtures.js";

describe("statusTable", () => {
  it("renders the reference layout without Notes when the model has no message", () => {
    const out = statusTable(sampleStatus(), { controllerName: "src" });
    expect(out).toBe(
      [
        "Model    Controller  Cloud/Region         Version  Timestamp",
        "migrate  src         localhost/localhost  1.2.0    14:03:07Z",
        "",
        "App         Status  Scale  Charm       Rev  Exposed  Message",
        "postgresql  active      1  postgresql    3  no",
        "wordpress   active      1  wordpress     5  no",
        "",
        "Unit           Workload  Agent  Machine  Public address  Message",
        "postgresql/0*  active    idle   0        10.0.0.2",
        "wordpress/0*   active    idle   1        10.0.0.3",
        "",
        "Machine  State    Address   Inst id  Base          Message",
        "0        started  10.0.0.2  inst-0   ubuntu@24.04  running",
        "1        started  10.0.0.3  inst-1   ubuntu@24.04",
        "",
        "Integration provider  Requirer      Interface  Type     Message",
        "postgresql:db         wordpress:db  pgsql      regular",
      ].join("\n"),
    );
  });

  it("adds a Notes column with the model status message (migration.md §3)", () => {
    const msg = "migrating: uploading model binaries into destination controller";
    const lines = statusTable(sampleStatus(msg), { controllerName: "src" }).split("\n");
    expect(lines[0]).toBe("Model    Controller  Cloud/Region         Version  Timestamp  Notes");
    expect(lines[1]).toBe(`migrate  src         localhost/localhost  1.2.0    14:03:07Z  ${msg}`);
  });

  it("cuts Notes at 120 characters with '...'", () => {
    const long = `migrating: ${"x".repeat(200)}`;
    const row = statusTable(sampleStatus(long), { controllerName: "src" }).split("\n")[1]!;
    const notes = row.slice(row.indexOf("migrating"));
    expect(notes).toHaveLength(NOTES_MAX);
    expect(notes.endsWith("...")).toBe(true);
    expect(notes.startsWith("migrating: xxx")).toBe(true);
    // Exactly 120 is left alone.
    const exact = "m".repeat(120);
    expect(statusTable(sampleStatus(exact), { controllerName: "src" }).split("\n")[1]!.endsWith(exact)).toBe(true);
  });

  it("colours with --color without breaking alignment, and not otherwise", () => {
    const msg = "migrating: exporting model";
    const plain = statusTable(sampleStatus(msg), { controllerName: "src" });
    const coloured = statusTable(sampleStatus(msg), { controllerName: "src", color: true });
    expect(plain).not.toMatch(/\u001b\[/);
    expect(coloured).toMatch(/\u001b\[33mmigrating: exporting model\u001b\[39m/);
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(plain);
  });

  it("omits empty sections", () => {
    const st = sampleStatus();
    st.applications = [];
    st.machines = [];
    st.relations = [];
    expect(statusTable(st, { controllerName: "src" }).split("\n")).toHaveLength(2);
  });
});
