// Where the model description's kinds (src/domain/description.ts) live in
// the store: table, columns in field order, primary-key order. The exporters
// of both engines read, and the importer writes, through this one mapping;
// every text column sorts bytewise on both engines (PostgreSQL's are
// COLLATE "C"), so a model exported from one engine and re-exported from the
// other gives the same document and digest.
import { ENTITY_SPECS } from "../domain/description.js";

/** Where each description kind lives: table, columns in field order, primary-key order. */
export interface KindTable {
  table: string;
  columns: readonly string[];
  orderBy: readonly string[];
}

/** Tables of the description kinds, by kind (shared with the importer). */
export const KIND_TABLES: Readonly<Record<string, KindTable>> = {
  model: {
    table: "models",
    // The format version is prepended by the encoder; the rest follow MODEL_SPEC.
    columns: [
      "uuid",
      "name",
      "owner",
      "cloud",
      "cloud_type",
      "region",
      "agent_version",
      "is_controller",
      "life",
      "config_generation",
      "next_machine_id",
      "next_relation_id",
      "created_at",
    ],
    orderBy: ["uuid"],
  },
  config: { table: "model_config", columns: ["key", "value"], orderBy: ["key"] },
  user: { table: "model_users", columns: ["user", "access", "last_connection_at"], orderBy: ["user"] },
  machine: {
    table: "machines",
    columns: [
      "id",
      "seq",
      "base_name",
      "base_channel",
      "instance_id",
      "dns_name",
      "addresses",
      "hostname",
      "life",
      "agent_status",
      "agent_message",
      "agent_since",
      "instance_status",
      "instance_message",
      "instance_since",
      "password_hash",
      "created_at",
    ],
    orderBy: ["id"],
  },
  charm: {
    table: "charms",
    columns: ["url", "name", "revision", "source", "metadata", "sha256", "size", "created_at"],
    orderBy: ["url"],
  },
  application: {
    table: "applications",
    columns: [
      "name",
      "charm_url",
      "exposed",
      "life",
      "base_name",
      "base_channel",
      "next_unit_num",
      "config_generation",
      "created_at",
    ],
    orderBy: ["name"],
  },
  "application-config": {
    table: "application_config",
    columns: ["application", "key", "value"],
    orderBy: ["application", "key"],
  },
  unit: {
    table: "units",
    columns: [
      "name",
      "application",
      "number",
      "machine_id",
      "life",
      "leader",
      "workload_status",
      "workload_message",
      "workload_since",
      "agent_status",
      "agent_message",
      "agent_since",
      "password_hash",
      "workload_seq",
      "workload_counter",
      "workload_at",
    ],
    orderBy: ["name"],
  },
  relation: {
    table: "relations",
    columns: ["id", "key", "interface", "scope", "status", "status_message", "status_since"],
    orderBy: ["id"],
  },
  "relation-endpoint": {
    table: "relation_endpoints",
    columns: ["relation_id", "application", "endpoint", "role", "interface"],
    orderBy: ["relation_id", "application", "endpoint"],
  },
  // (entity, id) is the status_history_entity index order: no sort needed.
  status: {
    table: "status_history",
    columns: ["entity", "kind", "status", "message", "since", "seq"],
    orderBy: ["entity", "id"],
  },
};

/** A quoted SQL identifier (both engines: "user" is a keyword in PostgreSQL). */
export function quoted(name: string): string {
  return `"${name}"`;
}

/** SELECT of one kind's rows of a model (parameter 1: the model UUID), in primary-key order. */
export function kindSelect(kind: string, param: string): string {
  const t = KIND_TABLES[kind]!;
  return (
    `SELECT ${t.columns.map(quoted).join(", ")} FROM ${quoted(t.table)} WHERE model_uuid = ${param} ` +
    `ORDER BY ${t.orderBy.map(quoted).join(", ")}`
  );
}

for (const s of ENTITY_SPECS) {
  const t = KIND_TABLES[s.kind];
  if (!t || t.columns.length !== s.fields.length)
    throw new Error(`description kind ${s.kind}: table mapping out of date`);
}

export interface CharmBinaryRow {
  url: string;
  size: number;
  sha256: string;
}

/**
 * One model as of one instant, read on a connection of its own (the
 * controller keeps writing meanwhile). One iteration at a time.
 */
export interface ModelSnapshot {
  readonly modelUuid: string;
  /** The model line's values (MODEL_SPEC order without "format"). */
  readonly modelValues: readonly unknown[];
  /** Rows of one kind in primary-key order, as arrays in field order, a batch at a time (nothing buffered whole). */
  rows(kind: string): AsyncIterable<readonly unknown[][]>;
  /** The model's charms (their archives are the binaries). */
  charms(): Promise<CharmBinaryRow[]>;
  /** A charm's archive bytes; undefined when the model has no such charm. */
  charmArchive(url: string): Promise<Buffer | undefined>;
  /** Ends the read transaction and gives the connection back. Idempotent. */
  close(): Promise<void>;
}

/**
 * The snapshots a store has open, so that closing the store closes them
 * (an export abandoned by a dying call must not keep its connection).
 */
export class OpenSnapshots {
  private readonly open = new Set<ModelSnapshot>();

  /** Tracks `snap` until it is closed; returns it. */
  add(snap: ModelSnapshot): ModelSnapshot {
    this.open.add(snap);
    const close = snap.close.bind(snap);
    snap.close = async () => {
      this.open.delete(snap);
      await close();
    };
    return snap;
  }

  async closeAll(): Promise<void> {
    for (const s of [...this.open]) await s.close();
  }
}

/** Rows per batch a snapshot yields. */
export const SNAPSHOT_BATCH = 2000;

export class ModelNotFoundError extends Error {
  constructor(readonly modelUuid: string) {
    super(`model ${modelUuid} not found`);
    this.name = "ModelNotFoundError";
  }
}
