// The two messages a redirect turns into (migration.md §4), exact to the
// character: tests and operators grep them.
import type { ControllerRecord } from "../client/store/store.js";
import { fingerprintPem, normaliseFingerprint } from "../client/fingerprint.js";

export interface RedirectTarget {
  modelName: string;
  modelOwner: string;
  controllerUuid: string;
  controllerName: string;
  addresses: string[];
  caCert: string;
  caFingerprint: string;
}

function redirectFingerprint(r: RedirectTarget): string {
  if (r.caFingerprint) return normaliseFingerprint(r.caFingerprint);
  try {
    return r.caCert ? fingerprintPem(r.caCert) : "";
  } catch {
    return "";
  }
}

/**
 * The client's name for the redirect's controller, matching on controller
 * UUID first, then CA fingerprint, then any shared API address (addresses
 * alone break when they change, which is why they come last).
 */
export function findKnownController(r: RedirectTarget, known: Record<string, ControllerRecord>): string | undefined {
  const entries = Object.entries(known);
  if (r.controllerUuid) {
    const byUuid = entries.find(([, c]) => c.uuid === r.controllerUuid);
    if (byUuid) return byUuid[0];
  }
  const fp = redirectFingerprint(r);
  if (fp) {
    const byFp = entries.find(([, c]) => c.caFingerprint && normaliseFingerprint(c.caFingerprint) === fp);
    if (byFp) return byFp[0];
  }
  const addrs = new Set(r.addresses);
  return entries.find(([, c]) => c.apiEndpoints.some((a) => addrs.has(a)))?.[0];
}

/**
 * Message (a) when the destination is in the local store, (b) otherwise.
 * `userOnKnown` is the user this client is logged in as on the known
 * controller: another owner's model needs its qualified name to switch to.
 */
export function redirectMessage(
  r: RedirectTarget,
  known: Record<string, ControllerRecord>,
  userOnKnown?: (controller: string) => string | undefined,
): string {
  const local = findKnownController(r, known);
  if (local !== undefined) {
    const user = userOnKnown?.(local);
    const model = user && r.modelOwner && user !== r.modelOwner ? `${r.modelOwner}/${r.modelName}` : r.modelName;
    return [
      `ERROR Model "${r.modelName}" has been migrated to controller "${local}".`,
      `To access it run 'ferry switch ${local}:${model}'.`,
    ].join("\n");
  }
  const name = r.controllerName || "new-controller";
  return [
    `ERROR Model "${r.modelName}" has been migrated to another controller.`,
    "To access it run one of the following commands (you can replace the -c argument with your own preferred controller name):",
    ...r.addresses.map((a) => `  'ferry login ${a} -c ${name}'`),
    "",
    `New controller fingerprint [${redirectFingerprint(r)}]`,
  ].join("\n");
}
