// The store: the only code that knows the database engine. Everything above
// src/store/ imports from here.
import { restorePostgres } from "./postgres/dump.js";
import { openPostgresStore, type PostgresStoreOptions } from "./postgres/engine.js";
import { openSqliteStore } from "./sqlite/engine.js";
import type { Store } from "./store.js";

export * from "./store.js";
export * from "./rows.js";
export { Repos } from "./repos/index.js";
export type { ModelChangeKind } from "./session.js";
export { createChangeHub, type ChangeHub, type ChangeListener, type ModelChange } from "./changes.js";
export { ImportSuperseded, ModelImporter, type ImportPlan, type ImportResult } from "./model-import.js";
export { ModelNotFoundError, type ModelSnapshot, type CharmBinaryRow } from "./model-tables.js";
export { IMPORT_STATUS, ImportConflictError, type TransferredLog, type LogCursor } from "./repos/imports.js";
export { machineAddresses, type BaseSpec, type ProvisionedInstance } from "./repos/machines.js";
export { parseAgentTag, type AgentEntity, type AgentLinkRow } from "./repos/agents.js";
export {
  parseProgress,
  parseTimings,
  type ProgressRecord,
  type PhaseTimingRecord,
  type PrecheckRows,
} from "./repos/migrations.js";
export { redirectAddresses, redirectUsers, type NewRedirect } from "./repos/redirects.js";
export type {
  StatusUpdate,
  ModelCounts,
  NewModel,
  ModelPageQuery,
  MigrationMode,
  ModelWithGrant,
} from "./repos/models.js";
export type { CharmSummaryRow, ModelSnapshot as StatusSnapshot, StatusHistoryRow } from "./repos/status.js";
export type { NewLogEntry, LogMatch, LogQuery } from "./repos/logs.js";
export type { Lease, NodeRegistration } from "./repos/cluster.js";
export { generateModel, type GenerateModelOptions, type GeneratedModel } from "./fixtures.js";
export { snapshotController, MAX_PIECE, type BackupSnapshot, type SnapshotOptions } from "./backup.js";

/** Which engine and where: `sqlite` with its file, or a `postgres://` URL. */
export type StoreSpec = { engine: "sqlite"; file: string } | { engine: "postgres"; url: string };

export type OpenStoreOptions = PostgresStoreOptions;

/**
 * Loads the store file of a backup archive (`name` as the archive calls it)
 * into `spec`: for PostgreSQL, a logical dump loaded into an empty database
 * after its migrations. (An embedded store is restored by placing its file.)
 */
export async function restoreStore(spec: StoreSpec, file: string): Promise<{ models: number; rows: number }> {
  if (spec.engine !== "postgres") throw new Error("an embedded store is restored by unpacking its file");
  await (await openStore(spec)).close();
  return restorePostgres(spec.url, file);
}

export { DumpError } from "./postgres/dump.js";

/** Opens the store `spec` names and brings its schema up to date (the committed migrations). */
export async function openStore(spec: StoreSpec, opts: OpenStoreOptions = {}): Promise<Store> {
  return spec.engine === "sqlite" ? openSqliteStore(spec.file, opts) : openPostgresStore(spec.url, opts);
}
