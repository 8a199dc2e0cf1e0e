// The whole PostgreSQL schema of a controller, in one file (drizzle-kit reads
// it to generate the committed migrations under drizzle/postgres/). It is the
// twin of ./sqlite.ts: the same tables, columns, nullability and index names
// (test/store/schema-parity.test.ts compares the two migrated databases), so
// one set of repositories (../repos/) runs on both. Millisecond times and
// sizes are bigint (read back as JS numbers), archives bytea, flags boolean.
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  pgSequence,
  pgTable,
  primaryKey,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** Times in ms since the epoch and byte counts: bigint, as JS numbers (all below 2^53). */
const ms = (name: string) => bigint(name, { mode: "number" });

/**
 * Text compares bytewise, as SQLite's does: lists sort the same on both
 * engines, and an exported model's rows come out in the same order.
 */
const ctext = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

/** Charm archives: bytea as a Node Buffer, as SQLite's blob column gives them. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/**
 * Model versions (models.version) come from here: controller-wide and only
 * growing, so a cached read of a model that left and came back can never
 * match a new version by accident. (SQLite counts in the one process.)
 */
export const modelVersions = pgSequence("model_versions");

/** Identity of this controller: exactly one row, written at bootstrap. */
export const controller = pgTable("controller", {
  id: integer("id").primaryKey(), // always 1
  uuid: ctext("uuid").notNull(),
  name: ctext("name").notNull(),
  cloud: ctext("cloud").notNull(),
  cloudType: ctext("cloud_type").notNull(),
  region: ctext("region").notNull(),
  agentVersion: ctext("agent_version").notNull(),
  createdAt: ms("created_at").notNull(),
});

/** Controller users. Passwords only as salted scrypt hashes. */
export const users = pgTable("users", {
  name: ctext("name").primaryKey(),
  displayName: ctext("display_name").notNull().default(""),
  passwordHash: ctext("password_hash"),
  access: ctext("access").notNull(),
  createdBy: ctext("created_by").notNull().default(""),
  createdAt: ms("created_at").notNull(),
  lastLoginAt: ms("last_login_at"),
  disabled: boolean("disabled").notNull().default(false),
});

/** Bearer tokens, stored as the SHA-256 of the random token. */
export const tokens = pgTable(
  "tokens",
  {
    hash: ctext("hash").primaryKey(),
    kind: ctext("kind").notNull(),
    user: ctext("user").notNull(),
    modelUuid: ctext("model_uuid"),
    sourceControllerUuid: ctext("source_controller_uuid"),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
  },
  (t) => [index("tokens_user").on(t.user), index("tokens_expires").on(t.expiresAt)],
);

/** Models (see ./sqlite.ts for what the columns mean). */
export const models = pgTable(
  "models",
  {
    uuid: ctext("uuid").primaryKey(),
    name: ctext("name").notNull(),
    owner: ctext("owner").notNull(),
    cloud: ctext("cloud").notNull(),
    cloudType: ctext("cloud_type").notNull(),
    region: ctext("region").notNull(),
    agentVersion: ctext("agent_version").notNull(),
    isController: boolean("is_controller").notNull().default(false),
    life: ctext("life").notNull().default("alive"),
    status: ctext("status").notNull().default("available"),
    statusMessage: ctext("status_message").notNull().default(""),
    statusSince: ms("status_since").notNull(),
    migrationMode: ctext("migration_mode").notNull().default("none"),
    importMigrationId: ctext("import_migration_id"),
    activatedAt: ms("activated_at"),
    importStage: ctext("import_stage"),
    version: ms("version").notNull().default(0),
    configGeneration: integer("config_generation").notNull().default(0),
    nextMachineId: integer("next_machine_id").notNull().default(0),
    nextRelationId: integer("next_relation_id").notNull().default(0),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [uniqueIndex("models_owner_name").on(t.owner, t.name)],
);

export const modelUsers = pgTable(
  "model_users",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    user: ctext("user").notNull(),
    access: ctext("access").notNull(),
    lastConnectionAt: ms("last_connection_at"),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.user] }), index("model_users_user").on(t.user)],
);

export const modelConfig = pgTable(
  "model_config",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    key: ctext("key").notNull(),
    value: ctext("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.key] })],
);

export const machines = pgTable(
  "machines",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    id: ctext("id").notNull(),
    seq: integer("seq").notNull(),
    baseName: ctext("base_name").notNull(),
    baseChannel: ctext("base_channel").notNull(),
    instanceId: ctext("instance_id").notNull().default(""),
    dnsName: ctext("dns_name").notNull().default(""),
    addresses: ctext("addresses").notNull().default("[]"),
    hostname: ctext("hostname").notNull().default(""),
    life: ctext("life").notNull().default("alive"),
    agentStatus: ctext("agent_status").notNull(),
    agentMessage: ctext("agent_message").notNull().default(""),
    agentSince: ms("agent_since").notNull(),
    instanceStatus: ctext("instance_status").notNull(),
    instanceMessage: ctext("instance_message").notNull().default(""),
    instanceSince: ms("instance_since").notNull(),
    passwordHash: ctext("password_hash"),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.id] })],
);

export const charms = pgTable(
  "charms",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    url: ctext("url").notNull(),
    name: ctext("name").notNull(),
    revision: integer("revision").notNull(),
    source: ctext("source").notNull(),
    metadata: ctext("metadata").notNull(),
    sha256: ctext("sha256").notNull(),
    size: ms("size").notNull(),
    archive: bytea("archive").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.url] })],
);

export const applications = pgTable(
  "applications",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    name: ctext("name").notNull(),
    charmUrl: ctext("charm_url").notNull(),
    exposed: boolean("exposed").notNull().default(false),
    life: ctext("life").notNull().default("alive"),
    baseName: ctext("base_name").notNull(),
    baseChannel: ctext("base_channel").notNull(),
    nextUnitNum: integer("next_unit_num").notNull().default(0),
    configGeneration: integer("config_generation").notNull().default(0),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.name] })],
);

export const applicationConfig = pgTable(
  "application_config",
  {
    modelUuid: ctext("model_uuid").notNull(),
    application: ctext("application").notNull(),
    key: ctext("key").notNull(),
    value: ctext("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.application, t.key] })],
);

export const units = pgTable(
  "units",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    name: ctext("name").notNull(),
    application: ctext("application").notNull(),
    number: integer("number").notNull(),
    machineId: ctext("machine_id").notNull(),
    life: ctext("life").notNull().default("alive"),
    leader: boolean("leader").notNull().default(false),
    workloadStatus: ctext("workload_status").notNull(),
    workloadMessage: ctext("workload_message").notNull().default(""),
    workloadSince: ms("workload_since").notNull(),
    agentStatus: ctext("agent_status").notNull(),
    agentMessage: ctext("agent_message").notNull().default(""),
    agentSince: ms("agent_since").notNull(),
    passwordHash: ctext("password_hash"),
    workloadSeq: ms("workload_seq").notNull().default(0),
    workloadCounter: ms("workload_counter").notNull().default(0),
    workloadAt: ms("workload_at").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.modelUuid, t.name] }),
    index("units_app").on(t.modelUuid, t.application, t.number),
    index("units_machine").on(t.modelUuid, t.machineId),
  ],
);

export const relations = pgTable(
  "relations",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    id: integer("id").notNull(),
    key: ctext("key").notNull(),
    interface: ctext("interface").notNull(),
    scope: ctext("scope").notNull(),
    status: ctext("status").notNull(),
    statusMessage: ctext("status_message").notNull().default(""),
    statusSince: ms("status_since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.id] }), uniqueIndex("relations_key").on(t.modelUuid, t.key)],
);

export const relationEndpoints = pgTable(
  "relation_endpoints",
  {
    modelUuid: ctext("model_uuid").notNull(),
    relationId: integer("relation_id").notNull(),
    application: ctext("application").notNull(),
    endpoint: ctext("endpoint").notNull(),
    role: ctext("role").notNull(),
    interface: ctext("interface").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelUuid, t.relationId, t.application, t.endpoint] }),
    index("relation_endpoints_app").on(t.modelUuid, t.application),
  ],
);

export const statusHistory = pgTable(
  "status_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    modelUuid: ctext("model_uuid").notNull(),
    entity: ctext("entity").notNull(),
    kind: ctext("kind").notNull(),
    status: ctext("status").notNull(),
    message: ctext("message").notNull().default(""),
    since: ms("since").notNull(),
    seq: ms("seq"),
  },
  (t) => [index("status_history_entity").on(t.modelUuid, t.entity, t.id)],
);

export const logEntries = pgTable(
  "log_entries",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    modelUuid: ctext("model_uuid").notNull(),
    time: ms("time").notNull(),
    entity: ctext("entity").notNull(),
    level: ctext("level").notNull(),
    module: ctext("module").notNull(),
    message: ctext("message").notNull(),
  },
  (t) => [index("log_entries_model").on(t.modelUuid, t.seq)],
);

export const migrations = pgTable(
  "migrations",
  {
    id: ctext("id").primaryKey(),
    modelUuid: ctext("model_uuid").notNull(),
    attempt: integer("attempt").notNull(),
    modelName: ctext("model_name").notNull(),
    modelOwner: ctext("model_owner").notNull(),
    initiatedBy: ctext("initiated_by").notNull(),
    phase: ctext("phase").notNull(),
    phaseChangedAt: ms("phase_changed_at").notNull(),
    statusMessage: ctext("status_message").notNull().default(""),
    startedAt: ms("started_at").notNull(),
    endedAt: ms("ended_at"),
    failure: ctext("failure").notNull().default(""),
    activationSentAt: ms("activation_sent_at"),
    abortRequested: boolean("abort_requested").notNull().default(false),
    targetControllerUuid: ctext("target_controller_uuid").notNull(),
    targetControllerName: ctext("target_controller_name").notNull(),
    targetAddresses: ctext("target_addresses").notNull(),
    targetCaCert: ctext("target_ca_cert").notNull(),
    targetToken: ctext("target_token").notNull().default(""),
    progress: ctext("progress").notNull().default("{}"),
    phaseTimings: ctext("phase_timings").notNull().default("[]"),
    exportCounts: ctext("export_counts").notNull().default("{}"),
    exportDigest: ctext("export_digest").notNull().default(""),
  },
  (t) => [uniqueIndex("migrations_model_attempt").on(t.modelUuid, t.attempt)],
);

export const modelRedirects = pgTable(
  "model_redirects",
  {
    modelUuid: ctext("model_uuid").primaryKey(),
    modelName: ctext("model_name").notNull(),
    modelOwner: ctext("model_owner").notNull(),
    migrationId: ctext("migration_id").notNull(),
    controllerUuid: ctext("controller_uuid").notNull(),
    controllerName: ctext("controller_name").notNull(),
    addresses: ctext("addresses").notNull(),
    caCert: ctext("ca_cert").notNull(),
    users: ctext("users").notNull(),
    migratedAt: ms("migrated_at").notNull(),
  },
  (t) => [index("model_redirects_owner_name").on(t.modelOwner, t.modelName)],
);

export const logTransfers = pgTable("log_transfers", {
  modelUuid: ctext("model_uuid").primaryKey(),
  sourceSeq: ms("source_seq").notNull(),
  time: ms("time").notNull(),
  count: ms("count").notNull(),
  updatedAt: ms("updated_at").notNull(),
});

export const migrationMinionReports = pgTable(
  "migration_minion_reports",
  {
    migrationId: ctext("migration_id").notNull(),
    phase: ctext("phase").notNull(),
    tag: ctext("tag").notNull(),
    success: boolean("success").notNull(),
    reportedAt: ms("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.phase, t.tag] })],
);

export const leases = pgTable(
  "leases",
  {
    name: ctext("name").primaryKey(),
    holder: ctext("holder").notNull(),
    epoch: ms("epoch").notNull(),
    acquiredAt: ms("acquired_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
  },
  (t) => [index("leases_holder").on(t.holder)],
);

export const controllerNodes = pgTable("controller_nodes", {
  id: ctext("id").primaryKey(),
  incarnation: ctext("incarnation").notNull(),
  addresses: ctext("addresses").notNull(),
  version: ctext("version").notNull(),
  hostname: ctext("hostname").notNull().default(""),
  pid: integer("pid").notNull().default(0),
  startedAt: ms("started_at").notNull(),
  heartbeatAt: ms("heartbeat_at").notNull(),
});

export const agentPresence = pgTable(
  "agent_presence",
  {
    id: ctext("id").primaryKey(),
    modelUuid: ctext("model_uuid").notNull(),
    tag: ctext("tag").notNull(),
    nodeId: ctext("node_id").notNull(),
    connectedAt: ms("connected_at").notNull(),
  },
  (t) => [index("agent_presence_model").on(t.modelUuid, t.tag), index("agent_presence_node").on(t.nodeId)],
);

export const agentLinks = pgTable(
  "agent_links",
  {
    modelUuid: ctext("model_uuid")
      .notNull()
      .references(() => models.uuid, { onDelete: "cascade" }),
    tag: ctext("tag").notNull(),
    nodeId: ctext("node_id").notNull(),
    address: ctext("address").notNull(),
    connectedAt: ms("connected_at").notNull(),
    seenAt: ms("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelUuid, t.tag] })],
);

export const controllerSecrets = pgTable("controller_secrets", {
  name: ctext("name").primaryKey(),
  value: ctext("value").notNull(),
  createdAt: ms("created_at").notNull(),
});
