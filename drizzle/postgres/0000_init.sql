CREATE SEQUENCE "public"."model_versions" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "agent_presence" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"model_uuid" text COLLATE "C" NOT NULL,
	"tag" text COLLATE "C" NOT NULL,
	"node_id" text COLLATE "C" NOT NULL,
	"connected_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "application_config" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"application" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" text COLLATE "C" NOT NULL,
	CONSTRAINT "application_config_model_uuid_application_key_pk" PRIMARY KEY("model_uuid","application","key")
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"charm_url" text COLLATE "C" NOT NULL,
	"exposed" boolean DEFAULT false NOT NULL,
	"life" text COLLATE "C" DEFAULT 'alive' NOT NULL,
	"base_name" text COLLATE "C" NOT NULL,
	"base_channel" text COLLATE "C" NOT NULL,
	"next_unit_num" integer DEFAULT 0 NOT NULL,
	"config_generation" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "applications_model_uuid_name_pk" PRIMARY KEY("model_uuid","name")
);
--> statement-breakpoint
CREATE TABLE "charms" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"url" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"revision" integer NOT NULL,
	"source" text COLLATE "C" NOT NULL,
	"metadata" text COLLATE "C" NOT NULL,
	"sha256" text COLLATE "C" NOT NULL,
	"size" bigint NOT NULL,
	"archive" "bytea" NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "charms_model_uuid_url_pk" PRIMARY KEY("model_uuid","url")
);
--> statement-breakpoint
CREATE TABLE "controller" (
	"id" integer PRIMARY KEY NOT NULL,
	"uuid" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"cloud" text COLLATE "C" NOT NULL,
	"cloud_type" text COLLATE "C" NOT NULL,
	"region" text COLLATE "C" NOT NULL,
	"agent_version" text COLLATE "C" NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "controller_nodes" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"incarnation" text COLLATE "C" NOT NULL,
	"addresses" text COLLATE "C" NOT NULL,
	"version" text COLLATE "C" NOT NULL,
	"hostname" text COLLATE "C" DEFAULT '' NOT NULL,
	"pid" integer DEFAULT 0 NOT NULL,
	"started_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "controller_secrets" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"value" text COLLATE "C" NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"holder" text COLLATE "C" NOT NULL,
	"epoch" bigint NOT NULL,
	"acquired_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_entries" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"model_uuid" text COLLATE "C" NOT NULL,
	"time" bigint NOT NULL,
	"entity" text COLLATE "C" NOT NULL,
	"level" text COLLATE "C" NOT NULL,
	"module" text COLLATE "C" NOT NULL,
	"message" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_transfers" (
	"model_uuid" text COLLATE "C" PRIMARY KEY NOT NULL,
	"source_seq" bigint NOT NULL,
	"time" bigint NOT NULL,
	"count" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "machines" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"id" text COLLATE "C" NOT NULL,
	"seq" integer NOT NULL,
	"base_name" text COLLATE "C" NOT NULL,
	"base_channel" text COLLATE "C" NOT NULL,
	"instance_id" text COLLATE "C" DEFAULT '' NOT NULL,
	"dns_name" text COLLATE "C" DEFAULT '' NOT NULL,
	"addresses" text COLLATE "C" DEFAULT '[]' NOT NULL,
	"hostname" text COLLATE "C" DEFAULT '' NOT NULL,
	"life" text COLLATE "C" DEFAULT 'alive' NOT NULL,
	"agent_status" text COLLATE "C" NOT NULL,
	"agent_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"agent_since" bigint NOT NULL,
	"instance_status" text COLLATE "C" NOT NULL,
	"instance_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"instance_since" bigint NOT NULL,
	"password_hash" text COLLATE "C",
	"created_at" bigint NOT NULL,
	CONSTRAINT "machines_model_uuid_id_pk" PRIMARY KEY("model_uuid","id")
);
--> statement-breakpoint
CREATE TABLE "migration_minion_reports" (
	"migration_id" text COLLATE "C" NOT NULL,
	"phase" text COLLATE "C" NOT NULL,
	"tag" text COLLATE "C" NOT NULL,
	"success" boolean NOT NULL,
	"reported_at" bigint NOT NULL,
	CONSTRAINT "migration_minion_reports_migration_id_phase_tag_pk" PRIMARY KEY("migration_id","phase","tag")
);
--> statement-breakpoint
CREATE TABLE "migrations" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"model_uuid" text COLLATE "C" NOT NULL,
	"attempt" integer NOT NULL,
	"model_name" text COLLATE "C" NOT NULL,
	"model_owner" text COLLATE "C" NOT NULL,
	"initiated_by" text COLLATE "C" NOT NULL,
	"phase" text COLLATE "C" NOT NULL,
	"phase_changed_at" bigint NOT NULL,
	"status_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"started_at" bigint NOT NULL,
	"ended_at" bigint,
	"failure" text COLLATE "C" DEFAULT '' NOT NULL,
	"activation_sent_at" bigint,
	"abort_requested" boolean DEFAULT false NOT NULL,
	"target_controller_uuid" text COLLATE "C" NOT NULL,
	"target_controller_name" text COLLATE "C" NOT NULL,
	"target_addresses" text COLLATE "C" NOT NULL,
	"target_ca_cert" text COLLATE "C" NOT NULL,
	"target_token" text COLLATE "C" DEFAULT '' NOT NULL,
	"progress" text COLLATE "C" DEFAULT '{}' NOT NULL,
	"phase_timings" text COLLATE "C" DEFAULT '[]' NOT NULL,
	"export_counts" text COLLATE "C" DEFAULT '{}' NOT NULL,
	"export_digest" text COLLATE "C" DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_config" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" text COLLATE "C" NOT NULL,
	CONSTRAINT "model_config_model_uuid_key_pk" PRIMARY KEY("model_uuid","key")
);
--> statement-breakpoint
CREATE TABLE "model_redirects" (
	"model_uuid" text COLLATE "C" PRIMARY KEY NOT NULL,
	"model_name" text COLLATE "C" NOT NULL,
	"model_owner" text COLLATE "C" NOT NULL,
	"migration_id" text COLLATE "C" NOT NULL,
	"controller_uuid" text COLLATE "C" NOT NULL,
	"controller_name" text COLLATE "C" NOT NULL,
	"addresses" text COLLATE "C" NOT NULL,
	"ca_cert" text COLLATE "C" NOT NULL,
	"users" text COLLATE "C" NOT NULL,
	"migrated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_users" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"user" text COLLATE "C" NOT NULL,
	"access" text COLLATE "C" NOT NULL,
	"last_connection_at" bigint,
	CONSTRAINT "model_users_model_uuid_user_pk" PRIMARY KEY("model_uuid","user")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"uuid" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"owner" text COLLATE "C" NOT NULL,
	"cloud" text COLLATE "C" NOT NULL,
	"cloud_type" text COLLATE "C" NOT NULL,
	"region" text COLLATE "C" NOT NULL,
	"agent_version" text COLLATE "C" NOT NULL,
	"is_controller" boolean DEFAULT false NOT NULL,
	"life" text COLLATE "C" DEFAULT 'alive' NOT NULL,
	"status" text COLLATE "C" DEFAULT 'available' NOT NULL,
	"status_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"status_since" bigint NOT NULL,
	"migration_mode" text COLLATE "C" DEFAULT 'none' NOT NULL,
	"import_migration_id" text COLLATE "C",
	"activated_at" bigint,
	"import_stage" text COLLATE "C",
	"version" bigint DEFAULT 0 NOT NULL,
	"config_generation" integer DEFAULT 0 NOT NULL,
	"next_machine_id" integer DEFAULT 0 NOT NULL,
	"next_relation_id" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "relation_endpoints" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"relation_id" integer NOT NULL,
	"application" text COLLATE "C" NOT NULL,
	"endpoint" text COLLATE "C" NOT NULL,
	"role" text COLLATE "C" NOT NULL,
	"interface" text COLLATE "C" NOT NULL,
	CONSTRAINT "relation_endpoints_model_uuid_relation_id_application_endpoint_pk" PRIMARY KEY("model_uuid","relation_id","application","endpoint")
);
--> statement-breakpoint
CREATE TABLE "relations" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"id" integer NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"interface" text COLLATE "C" NOT NULL,
	"scope" text COLLATE "C" NOT NULL,
	"status" text COLLATE "C" NOT NULL,
	"status_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"status_since" bigint NOT NULL,
	CONSTRAINT "relations_model_uuid_id_pk" PRIMARY KEY("model_uuid","id")
);
--> statement-breakpoint
CREATE TABLE "status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"model_uuid" text COLLATE "C" NOT NULL,
	"entity" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"status" text COLLATE "C" NOT NULL,
	"message" text COLLATE "C" DEFAULT '' NOT NULL,
	"since" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"hash" text COLLATE "C" PRIMARY KEY NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"user" text COLLATE "C" NOT NULL,
	"model_uuid" text COLLATE "C",
	"source_controller_uuid" text COLLATE "C",
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "units" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"application" text COLLATE "C" NOT NULL,
	"number" integer NOT NULL,
	"machine_id" text COLLATE "C" NOT NULL,
	"life" text COLLATE "C" DEFAULT 'alive' NOT NULL,
	"leader" boolean DEFAULT false NOT NULL,
	"workload_status" text COLLATE "C" NOT NULL,
	"workload_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"workload_since" bigint NOT NULL,
	"agent_status" text COLLATE "C" NOT NULL,
	"agent_message" text COLLATE "C" DEFAULT '' NOT NULL,
	"agent_since" bigint NOT NULL,
	"password_hash" text COLLATE "C",
	CONSTRAINT "units_model_uuid_name_pk" PRIMARY KEY("model_uuid","name")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"display_name" text COLLATE "C" DEFAULT '' NOT NULL,
	"password_hash" text COLLATE "C",
	"access" text COLLATE "C" NOT NULL,
	"created_by" text COLLATE "C" DEFAULT '' NOT NULL,
	"created_at" bigint NOT NULL,
	"last_login_at" bigint,
	"disabled" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "charms" ADD CONSTRAINT "charms_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "machines" ADD CONSTRAINT "machines_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_config" ADD CONSTRAINT "model_config_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_users" ADD CONSTRAINT "model_users_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relations" ADD CONSTRAINT "relations_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_presence_model" ON "agent_presence" USING btree ("model_uuid","tag");--> statement-breakpoint
CREATE INDEX "agent_presence_node" ON "agent_presence" USING btree ("node_id");--> statement-breakpoint
CREATE INDEX "leases_holder" ON "leases" USING btree ("holder");--> statement-breakpoint
CREATE INDEX "log_entries_model" ON "log_entries" USING btree ("model_uuid","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "migrations_model_attempt" ON "migrations" USING btree ("model_uuid","attempt");--> statement-breakpoint
CREATE INDEX "model_redirects_owner_name" ON "model_redirects" USING btree ("model_owner","model_name");--> statement-breakpoint
CREATE INDEX "model_users_user" ON "model_users" USING btree ("user");--> statement-breakpoint
CREATE UNIQUE INDEX "models_owner_name" ON "models" USING btree ("owner","name");--> statement-breakpoint
CREATE INDEX "relation_endpoints_app" ON "relation_endpoints" USING btree ("model_uuid","application");--> statement-breakpoint
CREATE UNIQUE INDEX "relations_key" ON "relations" USING btree ("model_uuid","key");--> statement-breakpoint
CREATE INDEX "status_history_entity" ON "status_history" USING btree ("model_uuid","entity","id");--> statement-breakpoint
CREATE INDEX "tokens_user" ON "tokens" USING btree ("user");--> statement-breakpoint
CREATE INDEX "tokens_expires" ON "tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "units_app" ON "units" USING btree ("model_uuid","application","number");--> statement-breakpoint
CREATE INDEX "units_machine" ON "units" USING btree ("model_uuid","machine_id");