// Access levels and who may do what. Pure functions; no I/O.

export type ModelAccessLevel = "read" | "write" | "admin";
export type ControllerAccessLevel = "login" | "add-model" | "superuser";

const MODEL_ORDER: ModelAccessLevel[] = ["read", "write", "admin"];
const CONTROLLER_ORDER: ControllerAccessLevel[] = ["login", "add-model", "superuser"];

export function isModelAccess(s: string): s is ModelAccessLevel {
  return (MODEL_ORDER as string[]).includes(s);
}

export function isControllerAccess(s: string): s is ControllerAccessLevel {
  return (CONTROLLER_ORDER as string[]).includes(s);
}

/** Whether `have` (possibly none) includes `need`. */
export function modelAccessIncludes(have: ModelAccessLevel | undefined, need: ModelAccessLevel): boolean {
  return have !== undefined && MODEL_ORDER.indexOf(have) >= MODEL_ORDER.indexOf(need);
}

export function controllerAccessIncludes(have: ControllerAccessLevel, need: ControllerAccessLevel): boolean {
  return CONTROLLER_ORDER.indexOf(have) >= CONTROLLER_ORDER.indexOf(need);
}

/** The higher of two model access levels. */
export function maxModelAccess(a: ModelAccessLevel | undefined, b: ModelAccessLevel): ModelAccessLevel {
  return modelAccessIncludes(a, b) ? a! : b;
}

/**
 * The access left after revoking `level`: revoking a level drops to the one
 * below it (revoking "read" removes access), as the reference system does.
 */
export function accessAfterRevoke(
  have: ModelAccessLevel | undefined,
  level: ModelAccessLevel,
): ModelAccessLevel | undefined {
  if (have === undefined) return undefined;
  const below = MODEL_ORDER.indexOf(level) - 1;
  if (MODEL_ORDER.indexOf(have) < MODEL_ORDER.indexOf(level)) return have;
  return below >= 0 ? MODEL_ORDER[below] : undefined;
}

/**
 * The effective model access of a user: superusers have admin on every
 * model; others what they were granted.
 */
export function effectiveModelAccess(
  controllerAccess: ControllerAccessLevel,
  granted: ModelAccessLevel | undefined,
): ModelAccessLevel | undefined {
  return controllerAccess === "superuser" ? "admin" : granted;
}
