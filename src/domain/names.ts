// Names of things users create, validated the way the reference system (Juju)
// validates them, so that names valid there are valid here and models can move
// between the two worlds without renaming. Every validator returns a
// description of what is wrong, or undefined when the value is fine, so the
// caller decides which field to blame.
import { q } from "./quote.js";

const MODEL_NAME_RE = /^[a-z0-9]+[a-z0-9-]*$/;
const APPLICATION_NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$/;
const USER_NAME_RE = /^[a-zA-Z][a-zA-Z0-9.+-]*[a-zA-Z0-9]$/;
const MACHINE_ID_RE = /^(0|[1-9][0-9]*)$/;
const CHARM_CONFIG_KEY_RE = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
const MODEL_CONFIG_KEY_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ENDPOINT_NAME_RE = /^[a-z][a-z0-9_-]*$/;

export const MAX_MODEL_NAME = 63;
export const MAX_USER_NAME = 64;
export const MAX_APPLICATION_NAME = 63;
export const MAX_CONFIG_KEY = 128;

export function validateModelName(name: string): string | undefined {
  if (!name) return "a model name is required";
  if (name.length > MAX_MODEL_NAME) return `model name ${q(name)} is longer than ${MAX_MODEL_NAME} characters`;
  if (!MODEL_NAME_RE.test(name) || name.endsWith("-")) {
    return `${q(name)} is not a valid model name: use lower-case letters, digits and '-', not ending with '-'`;
  }
  return undefined;
}

/** Application names; charm names follow the same rule. */
export function validateApplicationName(name: string): string | undefined {
  if (!name) return "an application name is required";
  if (name.length > MAX_APPLICATION_NAME) {
    return `application name ${q(name)} is longer than ${MAX_APPLICATION_NAME} characters`;
  }
  if (!APPLICATION_NAME_RE.test(name)) {
    return `${q(name)} is not a valid application name: use lower-case letters, digits and '-', starting with a letter; no part after a '-' may be only digits`;
  }
  return undefined;
}

export function validateCharmName(name: string): string | undefined {
  const problem = validateApplicationName(name);
  return problem ? problem.replace("application name", "charm name") : undefined;
}

export function validateUserName(name: string): string | undefined {
  if (!name) return "a user name is required";
  if (name.length > MAX_USER_NAME) return `user name ${q(name)} is longer than ${MAX_USER_NAME} characters`;
  if (!USER_NAME_RE.test(name)) {
    return `${q(name)} is not a valid user name: use letters, digits, '.', '+' and '-', starting with a letter and ending with a letter or digit`;
  }
  return undefined;
}

export function validateMachineId(id: string): string | undefined {
  if (!id) return "a machine id is required";
  if (!MACHINE_ID_RE.test(id) || !Number.isSafeInteger(Number(id))) {
    return `${q(id)} is not a valid machine id: use a non-negative integer such as "0"`;
  }
  return undefined;
}

export interface UnitName {
  application: string;
  number: number;
}

/** Parses "app/N"; returns a description of the problem for anything else. */
export function parseUnitName(name: string): UnitName | string {
  const slash = name.lastIndexOf("/");
  const bad = `${q(name)} is not a valid unit name: use <application>/<number>, e.g. "wordpress/0"`;
  if (slash <= 0) return bad;
  const application = name.slice(0, slash);
  const num = name.slice(slash + 1);
  if (validateApplicationName(application) || !MACHINE_ID_RE.test(num)) return bad;
  const number = Number(num);
  if (!Number.isSafeInteger(number)) return bad;
  return { application, number };
}

export function validateUnitName(name: string): string | undefined {
  const parsed = parseUnitName(name);
  return typeof parsed === "string" ? parsed : undefined;
}

export function unitName(application: string, number: number): string {
  return `${application}/${number}`;
}

/** Names of options a charm declares in config.yaml. */
export function validateCharmConfigKey(key: string): string | undefined {
  if (!key) return "an option name is required";
  if (key.length > MAX_CONFIG_KEY || !CHARM_CONFIG_KEY_RE.test(key)) {
    return `${q(key)} is not a valid option name: use letters, digits, '_', '.' and '-', starting with a letter`;
  }
  return undefined;
}

/** Model config keys: lower-case words joined by '-', like "default-base". */
export function validateModelConfigKey(key: string): string | undefined {
  if (!key) return "a config key is required";
  if (key.length > MAX_CONFIG_KEY || !MODEL_CONFIG_KEY_RE.test(key)) {
    return `${q(key)} is not a valid model config key: use lower-case words joined by '-', e.g. "default-base"`;
  }
  return undefined;
}

export function validateEndpointName(name: string): string | undefined {
  if (!name || !ENDPOINT_NAME_RE.test(name)) {
    return `${q(name)} is not a valid endpoint name: use lower-case letters, digits, '_' and '-', starting with a letter`;
  }
  return undefined;
}

/** The tag an entity logs and reports status under: "machine-0", "unit-wordpress-0". */
export function machineTag(id: string): string {
  return `machine-${id}`;
}

export function unitTag(name: string): string {
  return `unit-${name.replace("/", "-")}`;
}

export function applicationTag(name: string): string {
  return `application-${name}`;
}

export function relationTag(id: number): string {
  return `relation-${id}`;
}
