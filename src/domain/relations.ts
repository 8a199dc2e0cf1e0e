// Relating application endpoints, following the reference system's rules:
// a provider relates to a requirer of the same interface in another
// application; peers relate only to their own application's units and are
// created automatically at deploy. When the user names only applications, the
// endpoints are inferred, and ambiguity is an error listing every candidate.
import type { CharmEndpointDef, RelationScope } from "./charms.js";
import { validateApplicationName, validateEndpointName } from "./names.js";

export interface EndpointRef {
  application: string;
  /** Undefined when only the application was named. */
  endpoint?: string;
}

/** An endpoint of a deployed application. */
export interface AppEndpoint extends CharmEndpointDef {
  application: string;
}

export type RelationProblem =
  { kind: "application-not-found"; application: string; message: string } | { kind: "invalid"; message: string };

/** Parses "app" or "app:endpoint"; a string result describes the problem. */
export function parseEndpointRef(text: string): EndpointRef | string {
  const colon = text.indexOf(":");
  const application = colon < 0 ? text : text.slice(0, colon);
  const endpoint = colon < 0 ? undefined : text.slice(colon + 1);
  const badApp = validateApplicationName(application);
  if (badApp) return `invalid endpoint "${text}": ${badApp}`;
  if (endpoint !== undefined) {
    const badEp = validateEndpointName(endpoint);
    if (badEp) return `invalid endpoint "${text}": ${badEp}`;
  }
  return { application, endpoint };
}

export function endpointString(e: { application: string; name: string }): string {
  return `${e.application}:${e.name}`;
}

const COUNTERPART: Record<string, string> = { provider: "requirer", requirer: "provider" };

/** Whether a and b may form a (non-peer) relation. */
export function canRelate(a: AppEndpoint, b: AppEndpoint): boolean {
  return (
    a.application !== b.application &&
    a.interface === b.interface &&
    a.role !== "peer" &&
    COUNTERPART[a.role] === b.role
  );
}

const ROLE_ORDER: Record<string, number> = { requirer: 0, provider: 1, peer: 2 };

/** Endpoints in the reference's natural order: requirer, provider, peer; then by name. */
export function sortEndpoints<T extends { application: string; name: string; role: string }>(eps: T[]): T[] {
  return [...eps].sort((a, b) => {
    const byRole = ROLE_ORDER[a.role]! - ROLE_ORDER[b.role]!;
    if (byRole !== 0) return byRole;
    const sa = endpointString(a);
    const sb = endpointString(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** The relation's natural key, e.g. "wordpress:db postgresql:db". */
export function relationKey(eps: { application: string; name: string; role: string }[]): string {
  return sortEndpoints(eps).map(endpointString).join(" ");
}

/** Container scope wins: the relation is container-scoped if either side is. */
export function relationScope(eps: { scope: RelationScope }[]): RelationScope {
  return eps.some((e) => e.scope === "container") ? "container" : "global";
}

/** The endpoints an application's charm declares, as AppEndpoints. */
export function appEndpoints(application: string, defs: CharmEndpointDef[]): AppEndpoint[] {
  return defs.map((d) => ({ ...d, application }));
}

/** The peer relations a newly deployed application gets: one per peer endpoint. */
export function peerRelationsFor(application: string, defs: CharmEndpointDef[]): AppEndpoint[][] {
  return appEndpoints(application, defs)
    .filter((e) => e.role === "peer")
    .map((e) => [e]);
}

function candidatesFor(
  ref: EndpointRef,
  endpointsOf: (app: string) => CharmEndpointDef[] | undefined,
): AppEndpoint[] | RelationProblem {
  const defs = endpointsOf(ref.application);
  if (!defs) {
    return {
      kind: "application-not-found",
      application: ref.application,
      message: `application "${ref.application}" not found`,
    };
  }
  const eps = appEndpoints(ref.application, defs);
  if (ref.endpoint === undefined) return eps.filter((e) => e.role !== "peer");
  const named = eps.find((e) => e.name === ref.endpoint);
  if (!named) return { kind: "invalid", message: `application "${ref.application}" has no "${ref.endpoint}" endpoint` };
  if (named.role === "peer") {
    return {
      kind: "invalid",
      message: `"${endpointString(named)}" is a peer endpoint; peer relations are created automatically`,
    };
  }
  return [named];
}

/**
 * Infers the two endpoints of a new relation from what the user named.
 * `endpointsOf` returns an application's charm endpoints, or undefined when
 * there is no such application.
 */
export function inferRelation(
  refs: EndpointRef[],
  endpointsOf: (app: string) => CharmEndpointDef[] | undefined,
): { endpoints: AppEndpoint[] } | RelationProblem {
  if (refs.length !== 2)
    return { kind: "invalid", message: `a relation needs exactly two endpoints, got ${refs.length}` };
  const [r0, r1] = refs as [EndpointRef, EndpointRef];
  if (r0.application === r1.application) {
    return { kind: "invalid", message: `cannot relate application "${r0.application}" to itself` };
  }
  const c0 = candidatesFor(r0, endpointsOf);
  if (!Array.isArray(c0)) return c0;
  const c1 = candidatesFor(r1, endpointsOf);
  if (!Array.isArray(c1)) return c1;
  const matches: AppEndpoint[][] = [];
  for (const a of c0) for (const b of c1) if (canRelate(a, b)) matches.push(sortEndpoints([a, b]));
  const spec = refs.map((r) => (r.endpoint ? `${r.application}:${r.endpoint}` : r.application)).join(" ");
  if (matches.length === 0) {
    return {
      kind: "invalid",
      message: `no relations found between "${spec}": no provider and requirer with the same interface`,
    };
  }
  if (matches.length > 1) {
    const keys = matches.map((m) => `"${relationKey(m)}"`).sort();
    return { kind: "invalid", message: `ambiguous relation: "${spec}" could refer to ${keys.join("; ")}` };
  }
  return { endpoints: matches[0]! };
}

/** Whether an existing relation's endpoints match what the user named (for removal). */
export function relationMatches(refs: EndpointRef[], eps: { application: string; name: string }[]): boolean {
  if (refs.length !== eps.length) return false;
  const used = new Set<number>();
  for (const ref of refs) {
    const i = eps.findIndex(
      (e, idx) =>
        !used.has(idx) && e.application === ref.application && (ref.endpoint === undefined || e.name === ref.endpoint),
    );
    if (i < 0) return false;
    used.add(i);
  }
  return true;
}

/**
 * Checks the endpoints' relation limits given how many relations each
 * endpoint already has; returns the problem when one would be exceeded.
 */
export function checkRelationLimits(eps: AppEndpoint[], existingCount: (e: AppEndpoint) => number): string | undefined {
  for (const e of eps) {
    if (e.limit > 0 && existingCount(e) >= e.limit) {
      return `establishing a new relation for ${endpointString(e)} would exceed its maximum relation limit of ${e.limit}`;
    }
  }
  return undefined;
}
