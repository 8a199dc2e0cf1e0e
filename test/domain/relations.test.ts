import { describe, expect, it } from "vitest";
import type { CharmEndpointDef } from "../../src/domain/charms.js";
import {
  checkRelationLimits,
  inferRelation,
  parseEndpointRef,
  peerRelationsFor,
  relationKey,
  relationMatches,
  type AppEndpoint,
} from "../../src/domain/relations.js";

const ep = (name: string, role: CharmEndpointDef["role"], iface: string, limit = 0): CharmEndpointDef => ({
  name,
  role,
  interface: iface,
  scope: "global",
  limit,
});

const apps: Record<string, CharmEndpointDef[]> = {
  wordpress: [
    ep("db", "requirer", "pgsql", 1),
    ep("website", "provider", "http"),
    ep("loadbalancer", "peer", "reversenginx"),
  ],
  postgresql: [ep("db", "provider", "pgsql"), ep("replicas", "peer", "pgsql-replica")],
  pgadmin: [ep("db", "provider", "pgsql"), ep("db-admin", "provider", "pgsql")],
  haproxy: [ep("reverseproxy", "requirer", "http"), ep("website", "provider", "http")],
  mysql: [ep("db", "provider", "mysql")],
};
const endpointsOf = (app: string) => apps[app];
const refs = (...texts: string[]) =>
  texts.map((t) => parseEndpointRef(t) as { application: string; endpoint?: string });

describe("inferRelation", () => {
  it("matches provider and requirer of the same interface, requirer first in the key", () => {
    const r = inferRelation(refs("postgresql", "wordpress"), endpointsOf);
    expect("endpoints" in r && relationKey(r.endpoints)).toBe("wordpress:db postgresql:db");
  });

  it("uses named endpoints", () => {
    const r = inferRelation(refs("haproxy:reverseproxy", "wordpress:website"), endpointsOf);
    expect("endpoints" in r && relationKey(r.endpoints)).toBe("haproxy:reverseproxy wordpress:website");
  });

  it("reports ambiguity listing every candidate", () => {
    const r = inferRelation(refs("wordpress", "pgadmin"), endpointsOf);
    expect(r).toMatchObject({ kind: "invalid" });
    expect((r as { message: string }).message).toBe(
      'ambiguous relation: "wordpress pgadmin" could refer to "wordpress:db pgadmin:db"; "wordpress:db pgadmin:db-admin"',
    );
    const named = inferRelation(refs("wordpress", "pgadmin:db-admin"), endpointsOf);
    expect("endpoints" in named && relationKey(named.endpoints)).toBe("wordpress:db pgadmin:db-admin");
  });

  it("reports no match, missing endpoints, peers and missing applications", () => {
    expect(inferRelation(refs("wordpress", "mysql"), endpointsOf)).toMatchObject({
      kind: "invalid",
      message: expect.stringContaining("no relations found"),
    });
    expect(inferRelation(refs("wordpress:nope", "postgresql"), endpointsOf)).toMatchObject({
      kind: "invalid",
      message: 'application "wordpress" has no "nope" endpoint',
    });
    expect(inferRelation(refs("postgresql:replicas", "wordpress"), endpointsOf)).toMatchObject({ kind: "invalid" });
    expect(inferRelation(refs("ghost", "wordpress"), endpointsOf)).toMatchObject({
      kind: "application-not-found",
      application: "ghost",
    });
    expect(inferRelation(refs("wordpress", "wordpress"), endpointsOf)).toMatchObject({ kind: "invalid" });
    expect(inferRelation(refs("wordpress"), endpointsOf)).toMatchObject({ kind: "invalid" });
  });

  it("never relates two providers or two requirers", () => {
    apps.pg2 = [ep("db", "provider", "pgsql")];
    expect(inferRelation(refs("postgresql:db", "pg2:db"), endpointsOf)).toMatchObject({ kind: "invalid" });
  });
});

describe("endpoint refs", () => {
  it("parses and validates", () => {
    expect(parseEndpointRef("wordpress:db")).toEqual({ application: "wordpress", endpoint: "db" });
    expect(parseEndpointRef("wordpress")).toEqual({ application: "wordpress", endpoint: undefined });
    expect(parseEndpointRef("Word:db")).toBeTypeOf("string");
    expect(parseEndpointRef("wordpress:")).toBeTypeOf("string");
  });
});

describe("peers, matching and limits", () => {
  it("creates one peer relation per peer endpoint", () => {
    const peers = peerRelationsFor("postgresql", apps.postgresql!);
    expect(peers.map((p) => relationKey(p))).toEqual(["postgresql:replicas"]);
  });

  it("matches existing relations for removal", () => {
    const eps = [
      { application: "wordpress", name: "db" },
      { application: "postgresql", name: "db" },
    ];
    expect(relationMatches(refs("postgresql", "wordpress"), eps)).toBe(true);
    expect(relationMatches(refs("wordpress:db", "postgresql:db"), eps)).toBe(true);
    expect(relationMatches(refs("wordpress:website", "postgresql"), eps)).toBe(false);
  });

  it("refuses a relation over an endpoint's limit", () => {
    const eps: AppEndpoint[] = [
      { ...ep("db", "requirer", "pgsql", 1), application: "wordpress" },
      { ...ep("db", "provider", "pgsql"), application: "postgresql" },
    ];
    expect(checkRelationLimits(eps, () => 0)).toBeUndefined();
    expect(checkRelationLimits(eps, (e) => (e.application === "wordpress" ? 1 : 5))).toBe(
      "establishing a new relation for wordpress:db would exceed its maximum relation limit of 1",
    );
  });
});
