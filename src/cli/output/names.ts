// Enum values as users type and read them.
import { ControllerAccess, Life, ModelAccess } from "../../../gen/ts/ferry/v1/resources_pb.js";

export function lifeName(l: Life): string {
  return l === Life.ALIVE ? "alive" : l === Life.DYING ? "dying" : l === Life.DEAD ? "dead" : "unknown";
}

const MODEL_ACCESS: Record<string, ModelAccess> = {
  read: ModelAccess.READ,
  write: ModelAccess.WRITE,
  admin: ModelAccess.ADMIN,
};

const CONTROLLER_ACCESS: Record<string, ControllerAccess> = {
  login: ControllerAccess.LOGIN,
  "add-model": ControllerAccess.ADD_MODEL,
  superuser: ControllerAccess.SUPERUSER,
};

export function modelAccessName(a: ModelAccess): string {
  return Object.entries(MODEL_ACCESS).find(([, v]) => v === a)?.[0] ?? "";
}

export function controllerAccessName(a: ControllerAccess): string {
  return Object.entries(CONTROLLER_ACCESS).find(([, v]) => v === a)?.[0] ?? "";
}

export function parseModelAccess(s: string): ModelAccess | undefined {
  return MODEL_ACCESS[s];
}

export function parseControllerAccess(s: string): ControllerAccess | undefined {
  return CONTROLLER_ACCESS[s];
}
