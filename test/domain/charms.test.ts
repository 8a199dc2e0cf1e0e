import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { builtinCharm, builtinCharms } from "../../src/domain/charm-samples.js";
import {
  buildCharmArchive,
  formatCharmUrl,
  parseCharmArchive,
  parseCharmUrl,
  sha256Hex,
} from "../../src/domain/charms.js";

const zip = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])), { mtime: new Date(2024, 0, 1) });

describe("built-in charms", () => {
  it("has the samples with consistent endpoints", () => {
    const names = builtinCharms().map((c) => c.meta.name);
    expect(names).toEqual(expect.arrayContaining(["ubuntu", "postgresql", "wordpress", "haproxy", "mysql"]));
    const pg = builtinCharm("postgresql")!;
    expect(pg.meta.endpoints).toContainEqual(
      expect.objectContaining({ name: "db", role: "provider", interface: "pgsql" }),
    );
    expect(pg.meta.endpoints).toContainEqual(expect.objectContaining({ name: "replicas", role: "peer" }));
    const wp = builtinCharm("wordpress")!;
    expect(wp.meta.endpoints).toContainEqual(
      expect.objectContaining({ name: "db", role: "requirer", interface: "pgsql" }),
    );
    expect(wp.meta.endpoints).toContainEqual(
      expect.objectContaining({ name: "website", role: "provider", interface: "http" }),
    );
    expect(builtinCharm("haproxy")!.meta.endpoints).toContainEqual(
      expect.objectContaining({ name: "reverseproxy", role: "requirer", interface: "http" }),
    );
    expect(pg.url).toBe(`ferry:postgresql-${pg.revision}`);
  });

  it("builds real, deterministic archives whose checksum matches their bytes", () => {
    for (const c of builtinCharms()) {
      expect(c.sha256).toBe(sha256Hex(c.archive));
      expect(c.size).toBe(c.archive.length);
      expect(buildCharmArchive(c.meta, {})).toEqual(buildCharmArchive(c.meta, {}));
      // The archive parses back to the same metadata.
      const parsed = parseCharmArchive(c.archive);
      expect(parsed).toEqual({ meta: c.meta });
    }
  });
});

describe("parseCharmArchive", () => {
  const metadata = [
    "name: myapp",
    "summary: An app",
    "provides:",
    "  api: {interface: http}",
    "requires:",
    "  db: pgsql",
    "  cache:",
    "    interface: redis",
    "    limit: 3",
    "    scope: container",
    "peers:",
    "  cluster: {interface: myapp-peer}",
  ].join("\n");
  const config = [
    "options:",
    "  port: {type: int, default: 8080, description: Port}",
    "  ratio: {type: float, default: 0.5}",
    "  debug: {type: boolean, default: false}",
    "  name: {type: string}",
  ].join("\n");

  it("reads metadata.yaml and config.yaml with the yaml parser", () => {
    const r = parseCharmArchive(
      zip({ "metadata.yaml": metadata, "config.yaml": config, "hooks/install": "#!/bin/sh\n" }),
    );
    if (!("meta" in r)) throw new Error(r.error);
    expect(r.meta.name).toBe("myapp");
    expect(r.meta.endpoints).toEqual([
      { name: "api", role: "provider", interface: "http", scope: "global", limit: 0 },
      { name: "db", role: "requirer", interface: "pgsql", scope: "global", limit: 1 },
      { name: "cache", role: "requirer", interface: "redis", scope: "container", limit: 3 },
      { name: "cluster", role: "peer", interface: "myapp-peer", scope: "global", limit: 1 },
    ]);
    expect(r.meta.config).toEqual({
      port: { type: "int", default: "8080", description: "Port" },
      ratio: { type: "float", default: "0.5", description: "" },
      debug: { type: "boolean", default: "false", description: "" },
      name: { type: "string", default: undefined, description: "" },
    });
  });

  it.each([
    ["not a zip", new TextEncoder().encode("hello"), /not a valid zip/],
    ["no metadata", zip({ "README.md": "x" }), /no metadata.yaml/],
    ["bad yaml", zip({ "metadata.yaml": "name: [unclosed" }), /not valid YAML/],
    ["no name", zip({ "metadata.yaml": "summary: x" }), /has no name/],
    ["bad name", zip({ "metadata.yaml": "name: Bad_Name" }), /not a valid charm name/],
    ["endpoint without interface", zip({ "metadata.yaml": "name: a\nrequires:\n  db: {}" }), /needs an interface/],
    [
      "duplicate endpoint",
      zip({ "metadata.yaml": "name: a\nrequires:\n  db: x\nprovides:\n  db: x" }),
      /declared twice/,
    ],
    [
      "bad option type",
      zip({ "metadata.yaml": "name: a", "config.yaml": "options:\n  x: {type: secret}" }),
      /unknown type/,
    ],
    [
      "bad default",
      zip({ "metadata.yaml": "name: a", "config.yaml": "options:\n  x: {type: int, default: abc}" }),
      /expected an integer/,
    ],
  ])("rejects %s", (_label, bytes, re) => {
    const r = parseCharmArchive(bytes);
    expect("error" in r && r.error).toMatch(re);
  });
});

describe("charm URLs", () => {
  it("formats and parses", () => {
    expect(formatCharmUrl({ source: "local", name: "my-app", revision: 2 })).toBe("local:my-app-2");
    expect(parseCharmUrl("local:my-app-2")).toEqual({ source: "local", name: "my-app", revision: 2 });
    expect(parseCharmUrl("ferry:postgresql-3")).toEqual({ source: "builtin", name: "postgresql", revision: 3 });
    expect(parseCharmUrl("local:foo")).toEqual({ source: "local", name: "foo", revision: -1 });
    expect(parseCharmUrl("cs:foo-1")).toBeUndefined();
    expect(parseCharmUrl("local:Foo-1")).toBeUndefined();
  });
});
