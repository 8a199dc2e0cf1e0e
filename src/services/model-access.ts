// Resolving the `model` field of a request into a model the caller may use.
// One place decides what a caller learns about a model: NOT_FOUND when they
// have no access (never leak existence), PERMISSION_DENIED when they have too
// little, UNAVAILABLE (MODEL_MIGRATING) for writes while it is migrating away,
// and FAILED_PRECONDITION (MODEL_MIGRATED) saying where it went, for a model
// that migrated away, to the users who had access to it.
import { processMetrics } from "../metrics.js";
import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { ModelMigratingSchema, ModelRedirectSchema } from "../../gen/ts/ferry/v1/errors_pb.js";
import { effectiveModelAccess, isModelAccess, modelAccessIncludes, type ModelAccessLevel } from "../domain/access.js";
import {
  redirectAddresses,
  redirectUsers,
  type ModelRow,
  type ModelWithGrant,
  type RedirectRow,
  type Repos,
  type Store,
} from "../store/index.js";
import { fingerprint } from "../pki/fingerprint.js";
import type { Principal } from "./context.js";
import { badField, ferryError, notFound, permissionDenied, unavailable } from "./errors.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResolvedModel {
  model: ModelRow;
  /** The caller's effective access (superusers: admin). */
  access: ModelAccessLevel;
}

/**
 * The model `ref` names for `p`, with the access granted to `p` on it. The
 * direct forms (UUID, owner/name, the caller's own bare name) take one
 * statement, which lets a read made only of this run outside a transaction.
 */
async function lookup(tx: Repos, p: Principal, ref: string): Promise<ModelWithGrant | undefined> {
  if (UUID_RE.test(ref)) return tx.models.byUuidFor(ref.toLowerCase(), p.user);
  const slash = ref.indexOf("/");
  if (slash >= 0) return tx.models.byNameFor(ref.slice(0, slash), ref.slice(slash + 1), p.user);
  const own = await tx.models.byNameFor(p.user, ref, p.user);
  if (own) return own;
  // A bare name that is not the caller's own: accept it when exactly one model
  // of that name is shared with the caller (or, for superusers, exists at all).
  const shared = await tx.models.sharedByName(p.user, ref);
  if (shared.length === 1) return withGrant(tx, p, shared[0]!);
  if (shared.length > 1) {
    throw ferryError(
      Code.InvalidArgument,
      "AMBIGUOUS_MODEL",
      `model name "${ref}" is ambiguous: use "owner/${ref}" (${shared.map((m) => `${m.owner}/${m.name}`).join(", ")})`,
    );
  }
  if (p.controllerAccess === "superuser" && ref === "controller") {
    return tx.models.byNameFor("admin", "controller", p.user);
  }
  return undefined;
}

async function withGrant(tx: Repos, p: Principal, model: ModelRow): Promise<ModelWithGrant> {
  return { model, granted: (await tx.models.grantedAccess(model.uuid, p.user)) ?? null };
}

/** Whether the caller may learn where a migrated model went: they had access (or see everything). */
function entitled(p: Principal, r: RedirectRow): boolean {
  return p.controllerAccess === "superuser" || redirectUsers(r).includes(p.user);
}

/**
 * The redirect record `ref` names, if the caller may see it. Only called
 * once the live lookup failed, so a model that came back (or a new model
 * with the same name) always wins; each branch is one indexed read.
 */
export async function findRedirectFor(tx: Repos, p: Principal, ref: string): Promise<RedirectRow | undefined> {
  let r: RedirectRow | undefined;
  if (UUID_RE.test(ref)) r = await tx.redirects.byUuid(ref.toLowerCase());
  else {
    const slash = ref.indexOf("/");
    if (slash >= 0) r = await tx.redirects.byName(ref.slice(0, slash), ref.slice(slash + 1));
    else {
      r = await tx.redirects.byName(p.user, ref);
      if (!r) {
        const shared = (await tx.redirects.byShortName(ref)).filter((x) => redirectUsers(x).includes(p.user));
        if (shared.length === 1) r = shared[0];
      }
    }
  }
  return r && entitled(p, r) ? r : undefined;
}

/** CA fingerprints of redirect targets, computed once per certificate. */
const fingerprints = new Map<string, string>();

function caFingerprint(pem: string): string {
  let fp = fingerprints.get(pem);
  if (fp === undefined) {
    try {
      fp = fingerprint(pem);
    } catch {
      fp = "";
    }
    if (fingerprints.size > 256) fingerprints.clear();
    fingerprints.set(pem, fp);
  }
  return fp;
}

/** FAILED_PRECONDITION + ErrorInfo MODEL_MIGRATED + ferry.v1.ModelRedirect. */
export function redirectError(r: RedirectRow): ConnectError {
  processMetrics?.redirectServed(`${r.modelOwner}/${r.modelName}`);
  const redirect = create(ModelRedirectSchema, {
    modelName: r.modelName,
    modelOwner: r.modelOwner,
    modelUuid: r.modelUuid,
    controllerUuid: r.controllerUuid,
    controllerName: r.controllerName,
    addresses: redirectAddresses(r),
    caCert: r.caCert,
    caFingerprint: caFingerprint(r.caCert),
    migrationId: r.migrationId,
  });
  return ferryError(
    Code.FailedPrecondition,
    "MODEL_MIGRATED",
    `model "${r.modelName}" has been migrated to controller "${r.controllerName}"`,
    [{ desc: ModelRedirectSchema, value: redirect }],
    { model_uuid: r.modelUuid, controller_uuid: r.controllerUuid, controller_name: r.controllerName },
  );
}

/** UNAVAILABLE + RetryInfo + MODEL_MIGRATING + ferry.v1.ModelMigrating for a write to an exporting model. */
export async function migratingError(tx: Repos, model: Pick<ModelRow, "uuid">): Promise<ConnectError> {
  const m = await tx.migrations.active(model.uuid);
  const detail = create(ModelMigratingSchema, {
    modelUuid: model.uuid,
    migrationId: m?.id ?? "",
    phase: m?.phase ?? "",
  });
  return unavailable("MODEL_MIGRATING", "model migration in progress", 5000, [
    { desc: ModelMigratingSchema, value: detail },
  ]);
}

export interface ResolveOptions {
  /** The change is a write: refused while the model migrates away or is dying. */
  write?: boolean;
}

/**
 * Resolves `ref` for principal `p`, needing at least `need` access, inside
 * the caller's read or write (a write re-checks the model under its lock).
 */
export async function resolveModel(
  tx: Repos,
  p: Principal,
  ref: string,
  need: ModelAccessLevel,
  opts: ResolveOptions = {},
): Promise<ResolvedModel> {
  if (!ref) throw badField("model", "a model is required (UUID, name or owner/name)");
  const found = await lookup(tx, p, ref);
  const model = found?.model;
  const granted = found?.granted;
  const access = model
    ? effectiveModelAccess(p.controllerAccess, granted && isModelAccess(granted) ? granted : undefined)
    : undefined;
  if (!model) {
    const r = await findRedirectFor(tx, p, ref);
    if (r) throw redirectError(r);
  }
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
      throw await migratingError(tx, model);
    }
    if (model.life !== "alive") {
      throw ferryError(Code.FailedPrecondition, "MODEL_NOT_ALIVE", `model is ${model.life}`);
    }
  }
  return { model, access };
}

/**
 * resolveModel in a read of its own: for the direct forms of `ref` one
 * statement (the model with the caller's grant), so on PostgreSQL it runs
 * without a transaction around it (ReadOptions.oneStatement).
 */
export function resolveIn(
  store: Store,
  p: Principal,
  ref: string,
  need: ModelAccessLevel,
  opts: ResolveOptions = {},
): Promise<ResolvedModel> {
  return store.read((tx) => resolveModel(tx, p, ref, need, opts), { oneStatement: true });
}
