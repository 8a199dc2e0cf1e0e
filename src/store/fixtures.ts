// Generating big models fast, for benchmarks (bench/migrate) and tests:
// settled models (machines started, units idle/active, relations joined) of
// any size, written with the engine's bulk insert in one transaction. The shape
// follows what the simulator leaves behind after deploy + add-unit, including
// the status history it writes, so a generated model migrates like a real one.
import { randomUUID } from "node:crypto";
import { builtinCharm } from "../domain/charm-samples.js";
import { storedMetadata } from "../domain/charms.js";
import { relationKey } from "../domain/relations.js";
import { fakeAddress, modelShort } from "../domain/status.js";
import type { Store } from "./store.js";

export interface GenerateModelOptions {
  /** Units in total, spread evenly over the applications. */
  units: number;
  name?: string;
  owner?: string;
  uuid?: string;
  /** Units placed on each machine (default 4: containers on a host). */
  unitsPerMachine?: number;
  /** Units per application (default 500); applications come in postgresql/wordpress pairs. */
  unitsPerApplication?: number;
  /**
   * "full" (default): the status history the simulator writes on the way to
   * settled (6 rows per unit, 4 per machine, 2 per relation); "final": only
   * the current statuses.
   */
  history?: "full" | "final";
  /** Log entries written per unit (default 0; the simulator writes 3), for LOGTRANSFER. */
  logsPerUnit?: number;
  /** Extra users granted read access (they must exist where the model migrates to). */
  users?: string[];
  cloud?: string;
  cloudType?: string;
  region?: string;
  agentVersion?: string;
  now?: number;
}

export interface GeneratedModel {
  uuid: string;
  name: string;
  owner: string;
  machines: number;
  applications: number;
  units: number;
  relations: number;
  /** All rows written (every table). */
  rows: number;
}

// A typical scrypt hash, for the agent credentials that travel with the model
// (hashing 100k real passwords would take minutes).
const FAKE_HASH = `scrypt$32768$8$1$${"c2FsdHNhbHRzYWx0c2FsdA=="}$${"a".repeat(43)}=`;

/** Rows queued per table, flushed in batches so a 100k-unit model never sits in memory whole. */
class Rows {
  private readonly pending = new Map<string, { columns: string[]; rows: unknown[][] }>();
  count = 0;
  constructor(private readonly flushFn: (table: string, columns: string[], rows: unknown[][]) => Promise<void>) {}

  async add(table: string, columns: string[], row: unknown[]): Promise<void> {
    let p = this.pending.get(table);
    if (!p) this.pending.set(table, (p = { columns, rows: [] }));
    p.rows.push(row);
    this.count++;
    if (p.rows.length >= 2000) await this.flush(table);
  }

  async flush(table?: string): Promise<void> {
    for (const [name, p] of this.pending) {
      if (table && name !== table) continue;
      if (p.rows.length) await this.flushFn(name, p.columns, p.rows.splice(0));
    }
  }
}

const MACHINE_COLUMNS = [
  "model_uuid",
  "id",
  "seq",
  "base_name",
  "base_channel",
  "instance_id",
  "dns_name",
  "addresses",
  "hostname",
  "agent_status",
  "agent_since",
  "instance_status",
  "instance_since",
  "password_hash",
  "created_at",
];
const UNIT_COLUMNS = [
  "model_uuid",
  "name",
  "application",
  "number",
  "machine_id",
  "leader",
  "workload_status",
  "workload_since",
  "agent_status",
  "agent_since",
  "password_hash",
];

export async function generateModel(store: Store, opts: GenerateModelOptions): Promise<GeneratedModel> {
  const now = opts.now ?? Date.now();
  const owner = opts.owner ?? "admin";
  const name = opts.name ?? `gen-${opts.units}`;
  const full = (opts.history ?? "full") === "full";
  const perMachine = Math.max(1, opts.unitsPerMachine ?? 4);
  const perApp = Math.max(1, opts.unitsPerApplication ?? 500);
  const pairs = Math.max(1, Math.ceil(opts.units / perApp / 2));
  const charms = [builtinCharm("postgresql")!, builtinCharm("wordpress")!];

  return store.write(async (tx): Promise<GeneratedModel> => {
    const out = new Rows((table, columns, rows) => tx.insertRows(table, columns, rows));
    const model = await tx.models.create({
      uuid: opts.uuid ?? randomUUID(),
      name,
      owner,
      cloud: opts.cloud ?? "localhost",
      cloudType: opts.cloudType ?? "lxd",
      region: opts.region ?? "localhost",
      agentVersion: opts.agentVersion ?? "1.0.0",
      config: {
        "default-base": "ubuntu@24.04",
        "logging-config": "<root>=INFO",
        "update-status-hook-interval": "5m",
      },
      now,
    });
    const extra = 7; // model, owner access, 3 config values, status history, log entry
    const m = model.uuid;
    const short = modelShort(m);
    for (const u of opts.users ?? []) await out.add("model_users", ["model_uuid", "user", "access"], [m, u, "read"]);

    const HIST = ["model_uuid", "entity", "kind", "status", "message", "since"];
    const history = async (entity: string, entries: [string, string, string][], final: [string, string, string][]) => {
      for (const [kind, status, message] of full ? entries : final) {
        await out.add("status_history", HIST, [m, entity, kind, status, message, now]);
      }
    };

    for (const c of charms) {
      await out.add(
        "charms",
        ["model_uuid", "url", "name", "revision", "source", "metadata", "sha256", "size", "archive", "created_at"],
        [
          m,
          c.url,
          c.meta.name,
          c.revision,
          "builtin",
          JSON.stringify(storedMetadata(c.meta)),
          c.sha256,
          c.size,
          Buffer.from(c.archive),
          now,
        ],
      );
    }

    const machineCount = Math.ceil(opts.units / perMachine);
    for (let i = 0; i < machineCount; i++) {
      const id = String(i);
      const addr = fakeAddress(m, i);
      await out.add("machines", MACHINE_COLUMNS, [
        m,
        id,
        i,
        "ubuntu",
        "24.04",
        `inst-${short}-${id}`,
        addr,
        JSON.stringify([addr]),
        `ferry-${short}-${id}`,
        "started",
        now,
        "running",
        now,
        FAKE_HASH,
        now,
      ]);
      await history(
        `machine-${id}`,
        [
          ["agent", "pending", ""],
          ["instance", "pending", ""],
          ["instance", "running", ""],
          ["agent", "started", ""],
        ],
        [
          ["instance", "running", ""],
          ["agent", "started", ""],
        ],
      );
    }

    const logsPerUnit = opts.logsPerUnit ?? 0;
    let relId = 0;
    const relate = async (eps: { application: string; name: string; role: string; interface: string }[]) => {
      const id = relId++;
      await out.add(
        "relations",
        ["model_uuid", "id", "key", "interface", "scope", "status", "status_since"],
        [m, id, relationKey(eps), eps[0]!.interface, "global", "joined", now],
      );
      for (const e of eps) {
        await out.add(
          "relation_endpoints",
          ["model_uuid", "relation_id", "application", "endpoint", "role", "interface"],
          [m, id, e.application, e.name, e.role, e.interface],
        );
      }
      await history(
        `relation-${id}`,
        [
          ["relation", "joining", ""],
          ["relation", "joined", ""],
        ],
        [["relation", "joined", ""]],
      );
    };

    let placed = 0;
    let apps = 0;
    for (let p = 0; p < pairs; p++) {
      const db = `db-${p}`;
      const wp = `wp-${p}`;
      for (const [appName, c] of [
        [db, charms[0]!],
        [wp, charms[1]!],
      ] as const) {
        const n = Math.min(perApp, Math.max(0, opts.units - placed));
        await out.add(
          "applications",
          ["model_uuid", "name", "charm_url", "base_name", "base_channel", "next_unit_num", "created_at"],
          [m, appName, c.url, "ubuntu", "24.04", n, now],
        );
        apps++;
        if (c.meta.name === "wordpress") {
          await out.add(
            "application_config",
            ["model_uuid", "application", "key", "value"],
            [m, appName, "blog-title", `Blog ${p}`],
          );
        }
        for (let i = 0; i < n; i++, placed++) {
          const tag = `unit-${appName}-${i}`;
          await out.add("units", UNIT_COLUMNS, [
            m,
            `${appName}/${i}`,
            appName,
            i,
            String(Math.floor(placed / perMachine)),
            i === 0 ? 1 : 0,
            "active",
            now,
            "idle",
            now,
            FAKE_HASH,
          ]);
          for (let l = 0; l < logsPerUnit; l++) {
            await out.add(
              "log_entries",
              ["model_uuid", "time", "entity", "level", "module", "message"],
              [m, now + l, tag, "INFO", "ferry.uniter", `unit ${appName}/${i} step ${l}`],
            );
          }
          await history(
            tag,
            [
              ["workload", "waiting", "waiting for machine"],
              ["agent", "allocating", ""],
              ["agent", "executing", "running install hook"],
              ["workload", "maintenance", "installing charm software"],
              ["agent", "idle", ""],
              ["workload", "active", ""],
            ],
            [
              ["agent", "idle", ""],
              ["workload", "active", ""],
            ],
          );
        }
        // Peer relations exist from deploy on, as the deploy service creates them.
        const peer = c.meta.endpoints.find((e) => e.role === "peer");
        if (peer) await relate([{ application: appName, name: peer.name, role: "peer", interface: peer.interface }]);
      }
      await relate([
        { application: wp, name: "db", role: "requirer", interface: "pgsql" },
        { application: db, name: "db", role: "provider", interface: "pgsql" },
      ]);
    }
    await out.flush();
    await tx.models.setCounters(m, machineCount, relId);
    tx.touch(m);
    return {
      uuid: m,
      name,
      owner,
      machines: machineCount,
      applications: apps,
      units: placed,
      relations: relId,
      rows: out.count + extra,
    };
  });
}
