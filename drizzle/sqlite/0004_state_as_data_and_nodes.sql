CREATE TABLE `agent_presence` (
	`id` text PRIMARY KEY NOT NULL,
	`model_uuid` text NOT NULL,
	`tag` text NOT NULL,
	`node_id` text NOT NULL,
	`connected_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `agent_presence_model` ON `agent_presence` (`model_uuid`,`tag`);--> statement-breakpoint
CREATE INDEX `agent_presence_node` ON `agent_presence` (`node_id`);--> statement-breakpoint
CREATE TABLE `controller_nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`incarnation` text NOT NULL,
	`addresses` text NOT NULL,
	`version` text NOT NULL,
	`hostname` text DEFAULT '' NOT NULL,
	`pid` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `controller_secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`epoch` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `leases_holder` ON `leases` (`holder`);--> statement-breakpoint
ALTER TABLE `migrations` ADD `activation_sent_at` integer;--> statement-breakpoint
ALTER TABLE `models` ADD `import_stage` text;--> statement-breakpoint
ALTER TABLE `models` ADD `version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Backfill (hand-written): stores from before this migration kept these stages in status messages.
UPDATE `models` SET `import_stage` = CASE `status_message` WHEN 'imported, waiting for validation' THEN 'imported' WHEN 'validated, waiting for activation' THEN 'validated' ELSE 'importing' END WHERE `migration_mode` = 'importing';--> statement-breakpoint
UPDATE `models` SET `import_stage` = 'activated' WHERE `migration_mode` <> 'importing' AND `import_migration_id` IS NOT NULL AND `activated_at` IS NOT NULL;--> statement-breakpoint
UPDATE `migrations` SET `activation_sent_at` = `phase_changed_at` WHERE `phase` = 'VALIDATION' AND `status_message` = 'activating model in destination controller';
