import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { structured } from "../../src/cli/output/format.js";
import { statusDocument } from "../../src/cli/output/status-doc.js";
import { sampleStatus } from "./fixtures.js";

describe("statusDocument (cli.md shape)", () => {
  const doc = statusDocument(sampleStatus("migrating: exporting model"), "src") as Record<string, any>;

  it("has the reference's top-level keys", () => {
    expect(Object.keys(doc)).toEqual(["model", "machines", "applications", "controller"]);
    expect(doc.controller).toEqual({ timestamp: "14:03:07Z" });
  });

  it("describes the model with the client's controller name", () => {
    expect(doc.model).toEqual({
      name: "migrate",
      type: "iaas",
      controller: "src",
      cloud: "localhost",
      region: "localhost",
      version: "1.2.0",
      "model-status": { current: "busy", message: "migrating: exporting model", since: "26 Nov 2026 14:02:07Z" },
    });
  });

  it("describes machines with agent-status (the reference's juju-status)", () => {
    expect(doc.machines["0"]).toMatchObject({
      "agent-status": { current: "started", since: "26 Nov 2026 14:02:07Z" },
      "instance-id": "inst-0",
      "dns-name": "10.0.0.2",
      "ip-addresses": ["10.0.0.2"],
      base: { name: "ubuntu", channel: "24.04" },
    });
    expect(Object.keys(doc.machines)).toEqual(["0", "1"]);
  });

  it("describes applications, their relations and units", () => {
    const wp = doc.applications.wordpress;
    expect(wp).toMatchObject({
      charm: "wordpress",
      "charm-rev": 5,
      exposed: false,
      "application-status": { current: "active" },
    });
    expect(wp.relations).toEqual({
      db: [{ "related-application": "postgresql", interface: "pgsql", scope: "global" }],
    });
    expect(doc.applications.postgresql.relations).toEqual({
      db: [{ "related-application": "wordpress", interface: "pgsql", scope: "global" }],
    });
    expect(wp.units["wordpress/0"]).toEqual({
      "workload-status": { current: "active", since: "26 Nov 2026 14:02:07Z" },
      "agent-status": { current: "idle", since: "26 Nov 2026 14:02:07Z" },
      leader: true,
      machine: "1",
      "public-address": "10.0.0.3",
    });
  });

  it("serialises to JSON on one line and to YAML with the same content", () => {
    const json = structured(doc, "json");
    expect(json).not.toContain("\n");
    expect(JSON.parse(json)).toEqual(doc);
    expect(parse(structured(doc, "yaml"))).toEqual(doc);
  });

  it("relates a peer relation's application to itself", () => {
    const st = sampleStatus();
    st.relations = [
      { ...st.relations[0]!, endpoints: [{ ...st.relations[0]!.endpoints[1]!, name: "replicas", role: 3 }] },
    ];
    const d = statusDocument(st, "src") as Record<string, any>;
    expect(d.applications.postgresql.relations.replicas[0]["related-application"]).toBe("postgresql");
  });
});
