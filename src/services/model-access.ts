// Resolving the `model` field of a request into a model the caller may use.
// One place decides what a caller learns about a model: NOT_FOUND when they
// have no access (never leak existence), PERMISSION_DENIED when they have too
// little, UNAVAILABLE (MODEL_MIGRATING) for writes while it is migrating away.
import { Code } from "@connectrpc/connect";
import { effectiveModelAccess, isModelAccess, modelAccessIncludes, type ModelAccessLevel } from "../domain/access.js";
import {
  findModelByName,
  findModelByUuid,
  findSharedModelsByName,
  getGrantedAccess,
  type ModelRow,
} from "../store/access-repo.js";
import type { Store } from "../store/db.js";
import type { Principal } from "./context.js";
import { badField, ferryError, notFound, permissionDenied, unavailable } from "./errors.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResolvedModel {
  model: ModelRow;
  /** The caller's effective access (superusers: admin). */
  access: ModelAccessLevel;
}

function lookup(store: Store, p: Principal, ref: string): ModelRow | undefined {
  if (UUID_RE.test(ref)) return findModelByUuid(store.db, ref.toLowerCase());
  const slash = ref.indexOf("/");
  if (slash >= 0) return findModelByName(store.db, ref.slice(0, slash), ref.slice(slash + 1));
  const own = findModelByName(store.db, p.user, ref);
  if (own) return own;
  // A bare name that is not the caller's own: accept it when exactly one model
  // of that name is shared with the caller (or, for superusers, exists at all).
  const shared = findSharedModelsByName(store.db, p.user, ref);
  if (shared.length === 1) return shared[0];
  if (shared.length > 1) {
    throw ferryError(
      Code.InvalidArgument,
      "AMBIGUOUS_MODEL",
      `model name "${ref}" is ambiguous: use "owner/${ref}" (${shared.map((m) => `${m.owner}/${m.name}`).join(", ")})`,
    );
  }
  if (p.controllerAccess === "superuser" && ref === "controller") {
    return findModelByName(store.db, "admin", "controller");
  }
  return undefined;
}

export interface ResolveOptions {
  /** The change is a write: refused while the model migrates away or is dying. */
  write?: boolean;
}

/** Resolves `ref` for principal `p`, needing at least `need` access. */
export function resolveModel(
  store: Store,
  p: Principal,
  ref: string,
  need: ModelAccessLevel,
  opts: ResolveOptions = {},
): ResolvedModel {
  if (!ref) throw badField("model", "a model is required (UUID, name or owner/name)");
  const model = lookup(store, p, ref);
  const granted = model ? getGrantedAccess(store.db, model.uuid, p.user) : undefined;
  const access = model
    ? effectiveModelAccess(p.controllerAccess, granted && isModelAccess(granted) ? granted : undefined)
    : undefined;
  if (!model || !access) throw notFound(`model "${ref}"`, "MODEL_NOT_FOUND");
  if (model.migrationMode === "importing") {
    // Being imported by a migration: not usable by anyone until activated.
    throw ferryError(Code.NotFound, "MODEL_IMPORTING", "migration in progress, model is importing");
  }
  if (!modelAccessIncludes(access, need)) {
    throw permissionDenied(`permission denied: ${need} access to model "${model.name}" required`);
  }
  if (opts.write) {
    if (model.migrationMode === "exporting") {
      throw unavailable("MODEL_MIGRATING", "model migration in progress", 5000);
    }
    if (model.life !== "alive") {
      throw ferryError(Code.FailedPrecondition, "MODEL_NOT_ALIVE", `model is ${model.life}`);
    }
  }
  return { model, access };
}
