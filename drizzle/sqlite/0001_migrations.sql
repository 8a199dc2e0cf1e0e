CREATE TABLE `migrations` (
	`id` text PRIMARY KEY NOT NULL,
	`model_uuid` text NOT NULL,
	`attempt` integer NOT NULL,
	`model_name` text NOT NULL,
	`model_owner` text NOT NULL,
	`initiated_by` text NOT NULL,
	`phase` text NOT NULL,
	`phase_changed_at` integer NOT NULL,
	`status_message` text DEFAULT '' NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`failure` text DEFAULT '' NOT NULL,
	`abort_requested` integer DEFAULT false NOT NULL,
	`target_controller_uuid` text NOT NULL,
	`target_controller_name` text NOT NULL,
	`target_addresses` text NOT NULL,
	`target_ca_cert` text NOT NULL,
	`target_token` text DEFAULT '' NOT NULL,
	`progress` text DEFAULT '{}' NOT NULL,
	`phase_timings` text DEFAULT '[]' NOT NULL,
	`export_counts` text DEFAULT '{}' NOT NULL,
	`export_digest` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `migrations_model_attempt` ON `migrations` (`model_uuid`,`attempt`);--> statement-breakpoint
CREATE TABLE `model_redirects` (
	`model_uuid` text PRIMARY KEY NOT NULL,
	`model_name` text NOT NULL,
	`model_owner` text NOT NULL,
	`migration_id` text NOT NULL,
	`controller_uuid` text NOT NULL,
	`controller_name` text NOT NULL,
	`addresses` text NOT NULL,
	`ca_cert` text NOT NULL,
	`users` text NOT NULL,
	`migrated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `model_redirects_owner_name` ON `model_redirects` (`model_owner`,`model_name`);