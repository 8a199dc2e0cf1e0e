// Who is calling: the transport's authenticate hook resolves the bearer token
// into a Principal and stores it in the call's context values; services read
// it from there.
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { ControllerAccessLevel } from "../domain/access.js";
import { permissionDenied, unauthenticated } from "./errors.js";

export interface Principal {
  /** "user" for logged-in users, "migration" for migration-scoped tokens, "agent" for agents. */
  kind: "user" | "migration" | "agent";
  /** User name (for agents: the agent tag). */
  user: string;
  controllerAccess: ControllerAccessLevel;
  /** The model a migration or agent token is bound to. */
  modelUuid?: string;
  /** The source controller a migration token was issued for. */
  sourceControllerUuid?: string;
  /** SHA-256 of the token, to revoke it on logout. */
  tokenHash: string;
}

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "ferry principal" });

/** The calling principal; UNAUTHENTICATED when the call carried no valid token. */
export function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(principalKey);
  if (!p) throw unauthenticated("authentication required: log in first");
  return p;
}

/** The calling user (not an agent or migration token). */
export function userOf(ctx: HandlerContext): Principal {
  const p = principalOf(ctx);
  if (p.kind !== "user") throw permissionDenied("this call needs a user login");
  return p;
}

/** The calling user, who must be a controller superuser. */
export function superuserOf(ctx: HandlerContext): Principal {
  const p = userOf(ctx);
  if (p.controllerAccess !== "superuser") throw permissionDenied("permission denied: superuser access required");
  return p;
}
