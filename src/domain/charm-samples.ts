// The built-in sample charms every model can deploy by name. Their archives
// are built (deterministically) on first use; a model gets its own copy of a
// sample's archive in its charms table when it first deploys it, so the model
// carries it along when it migrates.
import {
  buildCharmArchive,
  formatCharmUrl,
  parseCharmArchive,
  sha256Hex,
  type CharmEndpointDef,
  type CharmMeta,
} from "./charms.js";
import type { CharmOption } from "./config.js";

export interface BuiltinCharm {
  meta: CharmMeta;
  revision: number;
  url: string;
  archive: Uint8Array;
  sha256: string;
  size: number;
}

interface Sample {
  meta: CharmMeta;
  revision: number;
}

const ep = (
  name: string,
  role: CharmEndpointDef["role"],
  iface: string,
  limit = role === "provider" ? 0 : 1,
): CharmEndpointDef => ({ name, role, interface: iface, scope: "global", limit });

const opt = (type: CharmOption["type"], def: string | undefined, description: string): CharmOption => ({
  type,
  default: def,
  description,
});

const SAMPLES: Sample[] = [
  {
    revision: 24,
    meta: {
      name: "ubuntu",
      summary: "A pristine Ubuntu server",
      description: "Deploys a plain Ubuntu machine; useful for testing placement and base images.",
      endpoints: [],
      config: {
        hostname: opt("string", "", "Hostname to set on the unit's machine (empty: keep the default)"),
      },
    },
  },
  {
    revision: 3,
    meta: {
      name: "postgresql",
      summary: "PostgreSQL object-relational SQL database",
      description: "A simulated PostgreSQL server that offers databases to related applications.",
      endpoints: [ep("db", "provider", "pgsql"), ep("replicas", "peer", "pgsql-replica")],
      config: {
        port: opt("int", "5432", "Port the server listens on"),
        "max-connections": opt("int", "100", "Maximum number of concurrent connections"),
        "shared-buffers-ratio": opt("float", "0.25", "Share of memory used for shared buffers"),
        "extra-packages": opt("string", "", "Space-separated list of extra packages to install"),
        "enable-ssl": opt("boolean", "false", "Whether clients must connect over TLS"),
      },
    },
  },
  {
    revision: 3,
    meta: {
      name: "wordpress",
      summary: "WordPress blogging platform",
      description: "A simulated WordPress site; it stores its content in a PostgreSQL database.",
      endpoints: [
        ep("db", "requirer", "pgsql"),
        ep("website", "provider", "http"),
        ep("loadbalancer", "peer", "reversenginx"),
      ],
      config: {
        "blog-title": opt("string", "My Blog", "Title shown on every page"),
        "admin-email": opt("string", undefined, "Address the site's notifications go to"),
        "max-upload-mb": opt("int", "8", "Largest media upload in MiB"),
        debug: opt("boolean", "false", "Show PHP debug output"),
      },
    },
  },
  {
    revision: 12,
    meta: {
      name: "haproxy",
      summary: "Fast and reliable load balancing reverse proxy",
      description: "A simulated HAProxy that balances HTTP traffic over the units of a related website.",
      endpoints: [
        ep("reverseproxy", "requirer", "http"),
        ep("website", "provider", "http"),
        ep("peer", "peer", "haproxy-peer"),
      ],
      config: {
        "default-timeout": opt("int", "5000", "Default connect/client/server timeout in milliseconds"),
        "global-maxconn": opt("int", "4096", "Maximum concurrent connections"),
        "enable-monitoring": opt("boolean", "false", "Expose the statistics page"),
      },
    },
  },
  {
    revision: 58,
    meta: {
      name: "mysql",
      summary: "MySQL relational database",
      description: "A simulated MySQL server, for applications that speak the mysql interface.",
      endpoints: [ep("db", "provider", "mysql"), ep("cluster", "peer", "mysql-ha")],
      config: {
        "max-connections": opt("int", "-1", "Maximum connections (-1: chosen from memory)"),
        "dataset-size": opt("string", "80%", "Memory given to the dataset"),
        "query-cache-size": opt("int", "-1", "Query cache size in bytes (-1: off)"),
      },
    },
  },
];

function readme(meta: CharmMeta): string {
  const lines = [`# ${meta.name}`, "", meta.summary, "", meta.description, ""];
  if (meta.endpoints.length) {
    lines.push("## Endpoints", "");
    for (const e of meta.endpoints) lines.push(`- \`${e.name}\` (${e.role}, interface \`${e.interface}\`)`);
    lines.push("");
  }
  return lines.join("\n");
}

function installHook(meta: CharmMeta): string {
  return [
    "#!/bin/sh",
    "# Simulated install hook: the Ferry agent reports progress instead of running it.",
    "set -e",
    `status-set maintenance "installing ${meta.name}"`,
    'status-set active ""',
    "",
  ].join("\n");
}

let cache: Map<string, BuiltinCharm> | undefined;

function all(): Map<string, BuiltinCharm> {
  if (!cache) {
    cache = new Map();
    for (const s of SAMPLES) {
      const archive = buildCharmArchive(s.meta, { "README.md": readme(s.meta), "hooks/install": installHook(s.meta) });
      // The metadata a model stores is what its archive says, exactly as for
      // an uploaded charm (parsing also puts endpoints in canonical order).
      const parsed = parseCharmArchive(archive);
      if ("error" in parsed) throw new Error(`built-in charm ${s.meta.name}: ${parsed.error}`);
      cache.set(s.meta.name, {
        meta: parsed.meta,
        revision: s.revision,
        url: formatCharmUrl({ source: "builtin", name: s.meta.name, revision: s.revision }),
        archive,
        sha256: sha256Hex(archive),
        size: archive.length,
      });
    }
  }
  return cache;
}

/** Every built-in charm, ordered by name. */
export function builtinCharms(): BuiltinCharm[] {
  return [...all().values()].sort((a, b) => a.meta.name.localeCompare(b.meta.name));
}

export function builtinCharm(name: string): BuiltinCharm | undefined {
  return all().get(name);
}
