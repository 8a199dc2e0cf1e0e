// The stages resume-after-restart depends on, as data with their legal
// changes: the destination's import stage and the source's activation stage.
import { describe, expect, it } from "vitest";
import {
  checkImportTransition,
  IMPORT_STAGES,
  IMPORT_TRANSITIONS,
  importStageOf,
  isImportStage,
} from "../../src/domain/import-stages.js";
import { ACTIVATION_TRANSITIONS, activationStage, checkActivationTransition } from "../../src/domain/phases.js";

describe("import stages", () => {
  it("go importing -> imported -> validated -> activated, with re-validation allowed", () => {
    expect(() => checkImportTransition("importing", "imported")).not.toThrow();
    expect(() => checkImportTransition("imported", "validated")).not.toThrow();
    expect(() => checkImportTransition("validated", "imported")).not.toThrow();
    expect(() => checkImportTransition("validated", "activated")).not.toThrow();
  });

  it("refuse every other edge with a clear message", () => {
    expect(() => checkImportTransition("importing", "validated")).toThrow(
      "illegal import stage change: importing -> validated",
    );
    expect(() => checkImportTransition("imported", "activated")).toThrow(/imported -> activated/);
    for (const to of IMPORT_STAGES) {
      expect(() => checkImportTransition("activated", to)).toThrow(/activated ->/);
    }
    // Only "activated" is terminal, and every stage is reachable from "importing".
    const reach = new Set(["importing"]);
    for (let i = 0; i < IMPORT_STAGES.length; i++) {
      for (const s of [...reach]) for (const n of IMPORT_TRANSITIONS[s as "importing"]) reach.add(n);
    }
    expect([...reach].sort()).toEqual([...IMPORT_STAGES].sort());
    expect(IMPORT_STAGES.filter((s) => IMPORT_TRANSITIONS[s].length === 0)).toEqual(["activated"]);
  });

  it("read from the row's column, never from its status message", () => {
    expect(importStageOf({ importStage: null })).toBe("native");
    expect(importStageOf({ importStage: "validated" })).toBe("validated");
    expect(isImportStage("validated, waiting for activation")).toBe(false);
  });
});

describe("activation stage", () => {
  it("is pending until sent, and sent for good", () => {
    expect(activationStage({ activationSentAt: null })).toBe("pending");
    expect(activationStage({ activationSentAt: 5 })).toBe("sent");
    expect(() => checkActivationTransition("pending", "sent")).not.toThrow();
    expect(() => checkActivationTransition("sent", "pending")).toThrow(
      "illegal activation stage change: sent -> pending",
    );
    expect(ACTIVATION_TRANSITIONS.sent).toEqual([]);
  });
});
