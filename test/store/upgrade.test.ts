// A SQLite store written by an earlier Ferry (before the import and
// activation stages were columns) opens with those stages filled in from
// what it recorded then, so a migration in flight across the upgrade resumes
// where it was.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "ferry-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const M1 = "11111111-0000-4000-8000-000000000001";
const M2 = "22222222-0000-4000-8000-000000000002";
const M3 = "33333333-0000-4000-8000-000000000003";

it("fills in import and activation stages from an older store's messages", async () => {
  // The migrations as they were before this release: the first four.
  const old = join(dir, "old-migrations");
  cpSync(join(root, "drizzle", "sqlite"), old, { recursive: true });
  const journal = JSON.parse(readFileSync(join(old, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, 4);
  writeFileSync(join(old, "meta", "_journal.json"), JSON.stringify(journal));
  const file = join(dir, "ferry.db");
  const db = new Database(file);
  migrate(drizzle(db), { migrationsFolder: old });
  const model = db.prepare(
    `INSERT INTO models (uuid, name, owner, cloud, cloud_type, region, agent_version, status, status_message,
       status_since, migration_mode, import_migration_id, activated_at, created_at)
     VALUES (?, ?, 'admin', 'c', 'lxd', 'r', '1', 'busy', ?, 1, ?, ?, ?, 1)`,
  );
  model.run(M1, "validated", "validated, waiting for activation", "importing", `${M1}:0`, null);
  model.run(M2, "arrived", "", "none", `${M2}:3`, 99);
  model.run(M3, "leaving", "migrating: activating model in destination controller", "exporting", null, null);
  db.prepare(
    `INSERT INTO migrations (id, model_uuid, attempt, model_name, model_owner, initiated_by, phase, phase_changed_at,
       status_message, started_at, target_controller_uuid, target_controller_name, target_addresses, target_ca_cert)
     VALUES (?, ?, 0, 'leaving', 'admin', 'admin', 'VALIDATION', 77, 'activating model in destination controller', 1, 'x', 'dst', '[]', '')`,
  ).run(`${M3}:0`, M3);
  db.close();

  const store = await openStore({ engine: "sqlite", file });
  try {
    await store.read(async (tx) => {
      expect((await tx.models.byUuid(M1))?.importStage).toBe("validated");
      expect((await tx.models.byUuid(M2))?.importStage).toBe("activated");
      expect((await tx.models.byUuid(M3))?.importStage).toBeNull();
      expect((await tx.migrations.get(`${M3}:0`))?.activationSentAt).toBe(77);
    });
  } finally {
    await store.close();
  }
});
