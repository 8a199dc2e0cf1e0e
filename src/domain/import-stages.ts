// Where an imported model stands on the destination of a migration, as data
// (models.import_stage), with its legal changes as a table like the phase
// table: the destination's answers to the source (UploadBinary, Validate,
// Activate, Abort, GetImportState) and its resume after a restart decide on
// this, never on a status message.
//
//   importing -> imported -> validated -> activated
//                   ^  \________/ |
//                   +-------------+   (a validation that finds a mismatch)
import { IllegalStageChange } from "./phases.js";

export const IMPORT_STAGES = ["importing", "imported", "validated", "activated"] as const;

export type ImportStage = (typeof IMPORT_STAGES)[number];

export const IMPORT_TRANSITIONS: Readonly<Record<ImportStage, readonly ImportStage[]>> = {
  importing: ["imported"],
  // Validation may run again; a mismatch sends a validated import back.
  imported: ["imported", "validated"],
  validated: ["imported", "validated", "activated"],
  // The commit point: an activated model belongs to this controller.
  activated: [],
};

export function isImportStage(s: string | null | undefined): s is ImportStage {
  return typeof s === "string" && (IMPORT_STAGES as readonly string[]).includes(s);
}

export function checkImportTransition(from: ImportStage, to: ImportStage): void {
  if (!IMPORT_TRANSITIONS[from].includes(to)) throw new IllegalStageChange("import stage", from, to);
}

/**
 * The stage of a model row; "native" for a model created on this controller
 * (never imported). An activated import keeps "activated" for good.
 */
export function importStageOf(m: { importStage: string | null }): ImportStage | "native" {
  return isImportStage(m.importStage) ? m.importStage : "native";
}
