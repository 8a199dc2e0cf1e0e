// Generating big models fast, for benchmarks (bench/migrate) and tests:
// settled models (machines started, units idle/active, relations joined) of
// any size, written with raw prepared inserts in one transaction. The shape
// follows what the simulator leaves behind after deploy + add-unit, including
// the status history it writes, so a generated model migrates like a real one.
import { randomUUID } from "node:crypto";
import { builtinCharm } from "../domain/charm-samples.js";
import { storedMetadata } from "../domain/charms.js";
import { relationKey } from "../domain/relations.js";
import { fakeAddress, modelShort } from "../domain/status.js";
import type { Store } from "./db.js";
import { createModelRow } from "./model-repo.js";

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

export function generateModel(store: Store, opts: GenerateModelOptions): GeneratedModel {
  const now = opts.now ?? Date.now();
  const owner = opts.owner ?? "admin";
  const name = opts.name ?? `gen-${opts.units}`;
  const full = (opts.history ?? "full") === "full";
  const perMachine = Math.max(1, opts.unitsPerMachine ?? 4);
  const perApp = Math.max(1, opts.unitsPerApplication ?? 500);
  const pairs = Math.max(1, Math.ceil(opts.units / perApp / 2));
  const charms = [builtinCharm("postgresql")!, builtinCharm("wordpress")!];
  const s = store.sqlite;
  let rows = 0;
  const run = (stmt: { run: (...a: unknown[]) => unknown }, ...args: unknown[]) => {
    stmt.run(...args);
    rows++;
  };

  return store.sqlite
    .transaction((): GeneratedModel => {
      const model = createModelRow(store.db, {
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
      rows += 7; // model, owner access, 3 config values, status history, log entry
      const m = model.uuid;
      const short = modelShort(m);
      const user = s.prepare("INSERT INTO model_users (model_uuid, user, access) VALUES (?, ?, 'read')");
      for (const u of opts.users ?? []) run(user, m, u);

      const hist = s.prepare(
        "INSERT INTO status_history (model_uuid, entity, kind, status, message, since) VALUES (?, ?, ?, ?, ?, ?)",
      );
      const history = (entity: string, entries: [string, string, string][], final: [string, string, string][]) => {
        for (const [kind, status, message] of full ? entries : final) run(hist, m, entity, kind, status, message, now);
      };

      const charm = s.prepare(
        `INSERT INTO charms (model_uuid, url, name, revision, source, metadata, sha256, size, archive, created_at)
         VALUES (?, ?, ?, ?, 'builtin', ?, ?, ?, ?, ?)`,
      );
      for (const c of charms) {
        run(
          charm,
          m,
          c.url,
          c.meta.name,
          c.revision,
          JSON.stringify(storedMetadata(c.meta)),
          c.sha256,
          c.size,
          Buffer.from(c.archive),
          now,
        );
      }

      const machine = s.prepare(
        `INSERT INTO machines (model_uuid, id, seq, base_name, base_channel, instance_id, dns_name, addresses, hostname,
           agent_status, agent_since, instance_status, instance_since, password_hash, created_at)
         VALUES (?, ?, ?, 'ubuntu', '24.04', ?, ?, ?, ?, 'started', ?, 'running', ?, ?, ?)`,
      );
      const machineCount = Math.ceil(opts.units / perMachine);
      for (let i = 0; i < machineCount; i++) {
        const id = String(i);
        const addr = fakeAddress(m, i);
        run(
          machine,
          m,
          id,
          i,
          `inst-${short}-${id}`,
          addr,
          JSON.stringify([addr]),
          `ferry-${short}-${id}`,
          now,
          now,
          FAKE_HASH,
          now,
        );
        history(
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

      const app = s.prepare(
        `INSERT INTO applications (model_uuid, name, charm_url, base_name, base_channel, next_unit_num, created_at)
         VALUES (?, ?, ?, 'ubuntu', '24.04', ?, ?)`,
      );
      const appConfig = s.prepare(
        "INSERT INTO application_config (model_uuid, application, key, value) VALUES (?, ?, ?, ?)",
      );
      const unit = s.prepare(
        `INSERT INTO units (model_uuid, name, application, number, machine_id, leader, workload_status, workload_since,
           agent_status, agent_since, password_hash)
         VALUES (?, ?, ?, ?, ?, ?, 'active', ?, 'idle', ?, ?)`,
      );
      const log = s.prepare(
        "INSERT INTO log_entries (model_uuid, time, entity, level, module, message) VALUES (?, ?, ?, 'INFO', 'ferry.uniter', ?)",
      );
      const logsPerUnit = opts.logsPerUnit ?? 0;
      const relation = s.prepare(
        `INSERT INTO relations (model_uuid, id, key, interface, scope, status, status_since)
         VALUES (?, ?, ?, ?, 'global', 'joined', ?)`,
      );
      const endpoint = s.prepare(
        "INSERT INTO relation_endpoints (model_uuid, relation_id, application, endpoint, role, interface) VALUES (?, ?, ?, ?, ?, ?)",
      );
      let relId = 0;
      const relate = (eps: { application: string; name: string; role: string; interface: string }[]) => {
        const id = relId++;
        run(relation, m, id, relationKey(eps), eps[0]!.interface, now);
        for (const e of eps) run(endpoint, m, id, e.application, e.name, e.role, e.interface);
        history(
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
          run(app, m, appName, c.url, n, now);
          apps++;
          if (c.meta.name === "wordpress") run(appConfig, m, appName, "blog-title", `Blog ${p}`);
          for (let i = 0; i < n; i++, placed++) {
            const tag = `unit-${appName}-${i}`;
            run(
              unit,
              m,
              `${appName}/${i}`,
              appName,
              i,
              String(Math.floor(placed / perMachine)),
              i === 0 ? 1 : 0,
              now,
              now,
              FAKE_HASH,
            );
            for (let l = 0; l < logsPerUnit; l++) run(log, m, now + l, tag, `unit ${appName}/${i} step ${l}`);
            history(
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
          if (peer) relate([{ application: appName, name: peer.name, role: "peer", interface: peer.interface }]);
        }
        relate([
          { application: wp, name: "db", role: "requirer", interface: "pgsql" },
          { application: db, name: "db", role: "provider", interface: "pgsql" },
        ]);
      }
      s.prepare("UPDATE models SET next_machine_id = ?, next_relation_id = ? WHERE uuid = ?").run(
        machineCount,
        relId,
        m,
      );
      return {
        uuid: m,
        name,
        owner,
        machines: machineCount,
        applications: apps,
        units: placed,
        relations: relId,
        rows,
      };
    })
    .immediate();
}
