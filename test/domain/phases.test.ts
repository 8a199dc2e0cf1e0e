import { describe, expect, it } from "vitest";
import {
  canAbort,
  checkTransition,
  isCommitted,
  isTerminal,
  PHASES,
  TRANSITIONS,
  type Phase,
} from "../../src/domain/phases.js";

describe("migration phases", () => {
  it("the happy path is legal, edge by edge", () => {
    const path: Phase[] = [
      "QUIESCE",
      "IMPORT",
      "PROCESSRELATIONS",
      "VALIDATION",
      "SUCCESS",
      "LOGTRANSFER",
      "REAP",
      "DONE",
    ];
    for (let i = 1; i < path.length; i++) expect(() => checkTransition(path[i - 1], path[i])).not.toThrow();
  });

  it("terminal phases are exactly DONE, REAPFAILED and ABORTDONE", () => {
    expect(PHASES.filter(isTerminal).sort()).toEqual(["ABORTDONE", "DONE", "REAPFAILED"]);
  });

  it("only phases before SUCCESS may abort", () => {
    expect(PHASES.filter(canAbort).sort()).toEqual(["IMPORT", "PROCESSRELATIONS", "QUIESCE", "VALIDATION"]);
    expect(() => checkTransition("SUCCESS", "ABORT")).toThrow("illegal phase change: SUCCESS -> ABORT");
    expect(() => checkTransition("LOGTRANSFER", "ABORT")).toThrow("illegal phase change: LOGTRANSFER -> ABORT");
  });

  it("refuses every edge not in the table", () => {
    for (const from of PHASES) {
      for (const to of PHASES) {
        const legal = TRANSITIONS[from].includes(to);
        if (legal) expect(() => checkTransition(from, to)).not.toThrow();
        else expect(() => checkTransition(from, to)).toThrow(`illegal phase change: ${from} -> ${to}`);
      }
    }
  });

  it("committed phases never include aborts", () => {
    expect(PHASES.filter(isCommitted)).not.toContain("ABORT");
    expect(PHASES.filter(isCommitted)).not.toContain("ABORTDONE");
    expect(isCommitted("SUCCESS")).toBe(true);
  });
});
