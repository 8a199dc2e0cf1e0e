// The whole SQLite schema of a controller, in one file (drizzle-kit reads it to
// generate the committed migrations under drizzle/sqlite/). Its PostgreSQL twin
// is ./postgres.ts: same tables, columns, nullability and index names (a test
// compares the two migrated databases). Times are stored as integer
// milliseconds since the epoch. Every model-scoped table is keyed by
// model_uuid first, so exporting or removing a model is a set of range scans
// and a model can be imported under the same UUID on another controller.
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Identity of this controller: exactly one row, written at bootstrap. */
export const controller = sqliteTable("controller", {
  id: integer("id").primaryKey(), // always 1
  uuid: text("uuid").notNull(),
  name: text("name").notNull(),
  cloud: text("cloud").notNull(),
  cloudType: text("cloud_type").notNull(),
  region: text("region").notNull(),
  agentVersion: text("agent_version").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Controller users. Passwords only as salted scrypt hashes. */
export const users = sqliteTable("users", {
  name: text("name").primaryKey(),
  displayName: text("display_name").notNull().default(""),
  passwordHash: text("password_hash"), // null: cannot log in until a password is set
  access: text("access").notNull(), // "login" | "add-model" | "superuser"
  createdBy: text("created_by").notNull().default(""),
  createdAt: integer("created_at").notNull(),
  lastLoginAt: integer("last_login_at"),
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
});

/**
 * Bearer tokens, stored as the SHA-256 of the random token (the token itself is
 * never stored). kind "user" for logins, "migration" for migration-scoped
 * tokens (bound to model_uuid and source_controller_uuid), "agent" for agents.
 */
export const tokens = sqliteTable(
  "tokens",
  {
    hash: text("hash").primaryKey(),
    kind: text("kind").notNull(),
    user: text("user").notNull(),
    modelUuid: text("model_uuid"),
    sourceControllerUuid: text("source_controller_uuid"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("tokens_user").on(t.user), index("tokens_expires").on(t.expiresAt)],
);

/**
 * Models. migration_mode is "none", "importing" (being imported by a migration:
 * invisible to users until activated) or "exporting" (being migrated away:
 * read-only).
 */
export const models = sqliteTable(
  "models",
  {
    uuid: text("uuid").primaryKey(),
    name: text("name").notNull(),
    owner: text("owner").notNull(),
    cloud: text("cloud").notNull(),
    cloudType: text("cloud_type").notNull(),
    region: text("region").notNull(),
    agentVersion: text("agent_version").notNull(),
    isController: integer("is_controller", { mode: "boolean" }).notNull().default(false),
    life: text("life").notNull().default("alive"),
    status: text("status").notNull().default("available"),
    statusMessage: text("status_message").notNull().default(""),
    statusSince: integer("status_since").notNull(),
    migrationMode: text("migration_mode").notNull().default("none"),
    importMigrationId: text("import_migration_id"),
    activatedAt: integer("activated_at"),
    /**
     * Where an import stands on the destination of a migration (what its
     * resume depends on; transitions in domain/import-stages.ts): "importing",
     * "imported", "validated", "activated"; null for a model created here.
     */
    importStage: text("import_stage"),
    /**
     * Moves on every committed change to the model (a controller-wide,
     * increasing number): read caches of the model are valid while it stands.
     */
    version: integer("version").notNull().default(0),
    configGeneration: integer("config_generation").notNull().default(0),
    nextMachineId: integer("next_machine_id").notNull().default(0),
    nextRelationId: integer("next_relation_id").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("models_owner_name").on(t.owner, t.name)],
);

/** Users' access to models: "read" | "write" | "admin". */
export const modelUsers = sqliteTable(
  "model_users",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    user: text("user").notNull(),
    access: text("access").notNull(),
    lastConnectionAt: integer("last_connection_at"),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.user] }), index("model_users_user").on(t.user)],
);

/** Model config key/values. */
export const modelConfig = sqliteTable(
  "model_config",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.key] })],
);

/** Simulated machines. */
export const machines = sqliteTable(
  "machines",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    id: text("id").notNull(),
    seq: integer("seq").notNull(), // numeric id for ordering
    baseName: text("base_name").notNull(),
    baseChannel: text("base_channel").notNull(),
    instanceId: text("instance_id").notNull().default(""),
    dnsName: text("dns_name").notNull().default(""),
    addresses: text("addresses").notNull().default("[]"), // JSON array
    hostname: text("hostname").notNull().default(""),
    life: text("life").notNull().default("alive"),
    agentStatus: text("agent_status").notNull(),
    agentMessage: text("agent_message").notNull().default(""),
    agentSince: integer("agent_since").notNull(),
    instanceStatus: text("instance_status").notNull(),
    instanceMessage: text("instance_message").notNull().default(""),
    instanceSince: integer("instance_since").notNull(),
    passwordHash: text("password_hash"), // agent credential; travels with the model
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.id] })],
);

/**
 * Charms stored for a model, with their archive bytes (built-in sample charms
 * are copied into the model when first deployed, so they migrate with it).
 * metadata is JSON: {summary, endpoints: [...], config: {...}}.
 */
export const charms = sqliteTable(
  "charms",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    url: text("url").notNull(),
    name: text("name").notNull(),
    revision: integer("revision").notNull(),
    source: text("source").notNull(), // "builtin" | "local"
    metadata: text("metadata").notNull(),
    sha256: text("sha256").notNull(),
    size: integer("size").notNull(),
    archive: blob("archive", { mode: "buffer" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.url] })],
);

/** Applications. */
export const applications = sqliteTable(
  "applications",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    name: text("name").notNull(),
    charmUrl: text("charm_url").notNull(),
    exposed: integer("exposed", { mode: "boolean" }).notNull().default(false),
    life: text("life").notNull().default("alive"),
    baseName: text("base_name").notNull(),
    baseChannel: text("base_channel").notNull(),
    nextUnitNum: integer("next_unit_num").notNull().default(0),
    configGeneration: integer("config_generation").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.name] })],
);

/** Application config values set by users (defaults come from the charm). */
export const applicationConfig = sqliteTable(
  "application_config",
  {
    modelUuid: text("model_uuid").notNull(),
    application: text("application").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.application, t.key] })],
);

/** Units, placed on machines. */
export const units = sqliteTable(
  "units",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    name: text("name").notNull(),
    application: text("application").notNull(),
    number: integer("number").notNull(),
    machineId: text("machine_id").notNull(),
    life: text("life").notNull().default("alive"),
    leader: integer("leader", { mode: "boolean" }).notNull().default(false),
    workloadStatus: text("workload_status").notNull(),
    workloadMessage: text("workload_message").notNull().default(""),
    workloadSince: integer("workload_since").notNull(),
    agentStatus: text("agent_status").notNull(),
    agentMessage: text("agent_message").notNull().default(""),
    agentSince: integer("agent_since").notNull(),
    passwordHash: text("password_hash"),
    // The last workload report the unit agent made (travels with the model,
    // so the destination accepts each sequence number once).
    workloadSeq: integer("workload_seq").notNull().default(0),
    workloadCounter: integer("workload_counter").notNull().default(0),
    workloadAt: integer("workload_at").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.modelUuid, t.name] }),
    index("units_app").on(t.modelUuid, t.application, t.number),
    index("units_machine").on(t.modelUuid, t.machineId),
  ],
);

/** Relations between application endpoints. */
export const relations = sqliteTable(
  "relations",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    id: integer("id").notNull(),
    key: text("key").notNull(),
    interface: text("interface").notNull(),
    scope: text("scope").notNull(),
    status: text("status").notNull(),
    statusMessage: text("status_message").notNull().default(""),
    statusSince: integer("status_since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.id] }), uniqueIndex("relations_key").on(t.modelUuid, t.key)],
);

/** The endpoints of a relation (two, or one for a peer relation). */
export const relationEndpoints = sqliteTable(
  "relation_endpoints",
  {
    modelUuid: text("model_uuid").notNull(),
    relationId: integer("relation_id").notNull(),
    application: text("application").notNull(),
    endpoint: text("endpoint").notNull(),
    role: text("role").notNull(), // "provider" | "requirer" | "peer"
    interface: text("interface").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelUuid, t.relationId, t.application, t.endpoint] }),
    index("relation_endpoints_app").on(t.modelUuid, t.application),
  ],
);

/** Status history of every entity (model, machine-N, unit-app-N, ...). */
export const statusHistory = sqliteTable(
  "status_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    modelUuid: text("model_uuid").notNull(),
    entity: text("entity").notNull(),
    kind: text("kind").notNull(), // "model" | "agent" | "instance" | "workload" | "relation"
    status: text("status").notNull(),
    message: text("message").notNull().default(""),
    since: integer("since").notNull(),
    seq: integer("seq"), // kind "report": the workload report's sequence number
  },
  (t) => [index("status_history_entity").on(t.modelUuid, t.entity, t.id)],
);

/** Model log entries (debug-log). seq orders entries globally. */
export const logEntries = sqliteTable(
  "log_entries",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    modelUuid: text("model_uuid").notNull(),
    time: integer("time").notNull(),
    entity: text("entity").notNull(),
    level: text("level").notNull(),
    module: text("module").notNull(),
    message: text("message").notNull(),
  },
  (t) => [index("log_entries_model").on(t.modelUuid, t.seq)],
);

/**
 * Migrations of models away from this controller (the source side). One row
 * per attempt; id is "<model-uuid>:<attempt>". The phase, its entry time, the
 * status message and timings are updated in the same transaction as the work
 * they describe, so the worker resumes from here after a restart. The
 * destination's migration token is stored encrypted (see migration/secrets)
 * and wiped when the migration ends.
 */
export const migrations = sqliteTable(
  "migrations",
  {
    id: text("id").primaryKey(),
    modelUuid: text("model_uuid").notNull(),
    attempt: integer("attempt").notNull(),
    modelName: text("model_name").notNull(),
    modelOwner: text("model_owner").notNull(),
    initiatedBy: text("initiated_by").notNull(),
    phase: text("phase").notNull(),
    phaseChangedAt: integer("phase_changed_at").notNull(),
    statusMessage: text("status_message").notNull().default(""),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    /** Root cause of an abort, shown to users. */
    failure: text("failure").notNull().default(""),
    /**
     * When the worker was about to send Activate (recorded before the call):
     * from then on the destination may own the model, so nothing aborts until
     * it says it does not. Null until then (domain/phases ACTIVATION).
     */
    activationSentAt: integer("activation_sent_at"),
    /** Set by abort-migration: the worker aborts at its next step. */
    abortRequested: integer("abort_requested", { mode: "boolean" }).notNull().default(false),
    targetControllerUuid: text("target_controller_uuid").notNull(),
    targetControllerName: text("target_controller_name").notNull(),
    targetAddresses: text("target_addresses").notNull(), // JSON array
    targetCaCert: text("target_ca_cert").notNull(),
    /** Encrypted migration token; empty once the migration ended. */
    targetToken: text("target_token").notNull().default(""),
    /** JSON: {entitiesDone, entitiesTotal, bytesDone, bytesTotal, logsDone, ...}. */
    progress: text("progress").notNull().default("{}"),
    /** JSON array of {phase, start, end}. */
    phaseTimings: text("phase_timings").notNull().default("[]"),
    /** What was exported: entity counts (JSON) and content digest. */
    exportCounts: text("export_counts").notNull().default("{}"),
    exportDigest: text("export_digest").notNull().default(""),
  },
  (t) => [uniqueIndex("migrations_model_attempt").on(t.modelUuid, t.attempt)],
);

/**
 * What the source keeps about a model after it migrated away: enough to
 * answer stale requests with a redirect (FAILED_PRECONDITION, MODEL_MIGRATED,
 * ferry.v1.ModelRedirect) for the users who had access, and plain not-found
 * for everyone else.
 */
export const modelRedirects = sqliteTable(
  "model_redirects",
  {
    modelUuid: text("model_uuid").primaryKey(),
    modelName: text("model_name").notNull(),
    modelOwner: text("model_owner").notNull(),
    migrationId: text("migration_id").notNull(),
    controllerUuid: text("controller_uuid").notNull(),
    controllerName: text("controller_name").notNull(),
    addresses: text("addresses").notNull(), // JSON array
    caCert: text("ca_cert").notNull(),
    /** JSON array of the user names who had access to the model. */
    users: text("users").notNull(),
    migratedAt: integer("migrated_at").notNull(),
  },
  (t) => [index("model_redirects_owner_name").on(t.modelOwner, t.modelName)],
);

/**
 * The destination side of a migration's log transfer: how far it got for an
 * imported model, as the source's log position (seq) of the last entry stored.
 * Entries get new local seqs here, and after activation the model writes its
 * own entries too, so neither the local seq nor the newest time can tell a
 * resumed transfer where to continue; this row, updated in the same
 * transaction as each batch it records, can (a retried batch is skipped).
 */
export const logTransfers = sqliteTable("log_transfers", {
  modelUuid: text("model_uuid").primaryKey(),
  sourceSeq: integer("source_seq").notNull(),
  /** Time of that entry (ms). */
  time: integer("time").notNull(),
  /** Entries stored so far. */
  count: integer("count").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Agents' reports on a migration phase (the source side): one row per agent
 * and phase, replaced when the agent reports again. The worker waits for
 * these in QUIESCE, VALIDATION and SUCCESS; kept in the store so a restarted
 * worker still sees the reports that arrived before.
 */
export const migrationMinionReports = sqliteTable(
  "migration_minion_reports",
  {
    migrationId: text("migration_id").notNull(),
    phase: text("phase").notNull(),
    tag: text("tag").notNull(),
    success: integer("success", { mode: "boolean" }).notNull(),
    reportedAt: integer("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.phase, t.tag] })],
);

/**
 * Leases on singular work (a migration's worker, a model's simulated agents,
 * the token sweep): one holder at a time, on the database's clock. The epoch
 * grows on every change of holder, and every write made for the work checks
 * it in the same transaction (fencing), so a holder that lost the lease
 * while paused cannot write any more.
 */
export const leases = sqliteTable(
  "leases",
  {
    name: text("name").primaryKey(),
    holder: text("holder").notNull(),
    epoch: integer("epoch").notNull(),
    acquiredAt: integer("acquired_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("leases_holder").on(t.holder)],
);

/**
 * The processes (nodes) serving this controller: each registers its API
 * addresses and heartbeats; one whose heartbeat is older than the node
 * timeout is gone. id is stable per data dir; incarnation changes per start.
 */
export const controllerNodes = sqliteTable("controller_nodes", {
  id: text("id").primaryKey(),
  incarnation: text("incarnation").notNull(),
  /** JSON array of host:port. */
  addresses: text("addresses").notNull(),
  version: text("version").notNull(),
  hostname: text("hostname").notNull().default(""),
  pid: integer("pid").notNull().default(0),
  startedAt: integer("started_at").notNull(),
  heartbeatAt: integer("heartbeat_at").notNull(),
});

/**
 * Agents connected now: one row per open migration-status watch, with the
 * node serving it (rows of a node whose heartbeat stopped do not count).
 */
export const agentPresence = sqliteTable(
  "agent_presence",
  {
    id: text("id").primaryKey(),
    modelUuid: text("model_uuid").notNull(),
    tag: text("tag").notNull(),
    nodeId: text("node_id").notNull(),
    connectedAt: integer("connected_at").notNull(),
  },
  (t) => [index("agent_presence_model").on(t.modelUuid, t.tag), index("agent_presence_node").on(t.nodeId)],
);

/**
 * Each agent's last connection to this controller (controller-local: it does
 * not travel with the model): the node and API address serving it, when it
 * connected and when it was last heard from. An agent not connected and not
 * heard from for the agent timeout is shown down (machines) or lost (units).
 */
export const agentLinks = sqliteTable(
  "agent_links",
  {
    modelUuid: text("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    tag: text("tag").notNull(),
    nodeId: text("node_id").notNull(),
    address: text("address").notNull(),
    connectedAt: integer("connected_at").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.tag] })],
);

/**
 * Secrets every node of a controller needs (the CA certificate and key, the
 * key sealing stored migration tokens) when the store is shared by several
 * nodes. A controller on its embedded store keeps them in its data dir.
 */
export const controllerSecrets = sqliteTable("controller_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: integer("created_at").notNull(),
});
