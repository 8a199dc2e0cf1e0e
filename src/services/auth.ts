// Turning the `authorization: Bearer <token>` header of a call into a
// Principal. Runs before every handler (the transport's authenticate hook);
// the few public methods (GetControllerInfo, Login, AgentLogin, health,
// reflection) pass without a token.
import type { DescMethod } from "@bufbuild/protobuf";
import { isControllerAccess } from "../domain/access.js";
import { hashToken } from "../domain/credentials.js";
import type { Store } from "../store/index.js";
import type { Principal } from "./context.js";
import { permissionDenied, unauthenticated } from "./errors.js";

const PUBLIC_METHODS = new Set([
  "ferry.v1.ControllerService/GetControllerInfo",
  "ferry.v1.ControllerService/Login",
  "ferry.v1.AgentService/AgentLogin",
]);

const PUBLIC_SERVICES = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

const MIGRATION_TARGET_SERVICE = "ferry.v1.MigrationTargetService";
const AGENT_SERVICE = "ferry.v1.AgentService";

export function isPublicMethod(method: DescMethod): boolean {
  return PUBLIC_SERVICES.has(method.parent.typeName) || PUBLIC_METHODS.has(`${method.parent.typeName}/${method.name}`);
}

/** Reads the bearer token from request headers; undefined when absent. */
export function bearerToken(headers: Headers): string | undefined {
  const h = headers.get("authorization");
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m?.[1];
}

/**
 * Resolves the caller of `method`. Returns undefined for public methods called
 * without a token; throws UNAUTHENTICATED / PERMISSION_DENIED otherwise.
 */
export async function authenticate(
  store: Store,
  method: DescMethod,
  headers: Headers,
  now = Date.now(),
): Promise<Principal | undefined> {
  const token = bearerToken(headers);
  const isPublic = isPublicMethod(method);
  if (!token) {
    if (isPublic) return undefined;
    if (headers.has("authorization")) throw unauthenticated("malformed authorization header: want 'Bearer <token>'");
    throw unauthenticated("authentication required: log in first (ferry login)", "NO_CREDENTIALS");
  }
  const hash = hashToken(token);
  // One statement for the token and its user: every authenticated call pays it.
  const found = await store.read((tx) => tx.tokens.getWithUser(hash), { oneStatement: true });
  const row = found?.token;
  const user = found?.user ?? undefined;
  if (!row) {
    if (isPublic) return undefined;
    throw unauthenticated("invalid or revoked token: log in again (ferry login)", "INVALID_TOKEN");
  }
  if (row.expiresAt <= now) {
    if (isPublic) return undefined;
    throw unauthenticated("token expired: log in again (ferry login)", "TOKEN_EXPIRED");
  }
  const service = method.parent.typeName;
  if (row.kind === "migration") {
    // A migration-scoped token is good for the destination side of one
    // model's migration and nothing else.
    if (service !== MIGRATION_TARGET_SERVICE && !isPublic) {
      throw permissionDenied("migration token is only valid for MigrationTargetService", "TOKEN_SCOPE");
    }
    return {
      kind: "migration",
      user: row.user,
      controllerAccess: "login",
      modelUuid: row.modelUuid ?? undefined,
      sourceControllerUuid: row.sourceControllerUuid ?? undefined,
      tokenHash: hash,
    };
  }
  if (row.kind === "agent") {
    // An agent token is good for its model's AgentService calls and nothing else.
    if (service !== AGENT_SERVICE && !isPublic) {
      throw permissionDenied("agent token is only valid for AgentService", "TOKEN_SCOPE");
    }
    return {
      kind: "agent",
      user: row.user,
      controllerAccess: "login",
      modelUuid: row.modelUuid ?? undefined,
      tokenHash: hash,
    };
  }
  if (!user || user.disabled || !isControllerAccess(user.access)) {
    throw unauthenticated("user is disabled or removed", "USER_DISABLED");
  }
  if (service === MIGRATION_TARGET_SERVICE) {
    throw permissionDenied(
      "MigrationTargetService needs a migration token (ControllerService.CreateMigrationToken)",
      "TOKEN_SCOPE",
    );
  }
  if (service === AGENT_SERVICE && !isPublic) {
    throw permissionDenied("AgentService needs an agent login (AgentService.AgentLogin)", "TOKEN_SCOPE");
  }
  return { kind: "user", user: user.name, controllerAccess: user.access, tokenHash: hash };
}
