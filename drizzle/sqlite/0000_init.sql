CREATE TABLE `application_config` (
	`model_uuid` text NOT NULL,
	`application` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_uuid`, `application`, `key`)
);
--> statement-breakpoint
CREATE TABLE `applications` (
	`model_uuid` text NOT NULL,
	`name` text NOT NULL,
	`charm_url` text NOT NULL,
	`exposed` integer DEFAULT false NOT NULL,
	`life` text DEFAULT 'alive' NOT NULL,
	`base_name` text NOT NULL,
	`base_channel` text NOT NULL,
	`next_unit_num` integer DEFAULT 0 NOT NULL,
	`config_generation` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`model_uuid`, `name`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `charms` (
	`model_uuid` text NOT NULL,
	`url` text NOT NULL,
	`name` text NOT NULL,
	`revision` integer NOT NULL,
	`source` text NOT NULL,
	`metadata` text NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`archive` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`model_uuid`, `url`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `controller` (
	`id` integer PRIMARY KEY NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`cloud` text NOT NULL,
	`cloud_type` text NOT NULL,
	`region` text NOT NULL,
	`agent_version` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `log_entries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_uuid` text NOT NULL,
	`time` integer NOT NULL,
	`entity` text NOT NULL,
	`level` text NOT NULL,
	`module` text NOT NULL,
	`message` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `log_entries_model` ON `log_entries` (`model_uuid`,`seq`);--> statement-breakpoint
CREATE TABLE `machines` (
	`model_uuid` text NOT NULL,
	`id` text NOT NULL,
	`seq` integer NOT NULL,
	`base_name` text NOT NULL,
	`base_channel` text NOT NULL,
	`instance_id` text DEFAULT '' NOT NULL,
	`dns_name` text DEFAULT '' NOT NULL,
	`addresses` text DEFAULT '[]' NOT NULL,
	`hostname` text DEFAULT '' NOT NULL,
	`life` text DEFAULT 'alive' NOT NULL,
	`agent_status` text NOT NULL,
	`agent_message` text DEFAULT '' NOT NULL,
	`agent_since` integer NOT NULL,
	`instance_status` text NOT NULL,
	`instance_message` text DEFAULT '' NOT NULL,
	`instance_since` integer NOT NULL,
	`password_hash` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`model_uuid`, `id`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `model_config` (
	`model_uuid` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`model_uuid`, `key`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `model_users` (
	`model_uuid` text NOT NULL,
	`user` text NOT NULL,
	`access` text NOT NULL,
	`last_connection_at` integer,
	PRIMARY KEY(`model_uuid`, `user`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `model_users_user` ON `model_users` (`user`);--> statement-breakpoint
CREATE TABLE `models` (
	`uuid` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner` text NOT NULL,
	`cloud` text NOT NULL,
	`cloud_type` text NOT NULL,
	`region` text NOT NULL,
	`agent_version` text NOT NULL,
	`is_controller` integer DEFAULT false NOT NULL,
	`life` text DEFAULT 'alive' NOT NULL,
	`status` text DEFAULT 'available' NOT NULL,
	`status_message` text DEFAULT '' NOT NULL,
	`status_since` integer NOT NULL,
	`migration_mode` text DEFAULT 'none' NOT NULL,
	`import_migration_id` text,
	`activated_at` integer,
	`config_generation` integer DEFAULT 0 NOT NULL,
	`next_machine_id` integer DEFAULT 0 NOT NULL,
	`next_relation_id` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `models_owner_name` ON `models` (`owner`,`name`);--> statement-breakpoint
CREATE TABLE `relation_endpoints` (
	`model_uuid` text NOT NULL,
	`relation_id` integer NOT NULL,
	`application` text NOT NULL,
	`endpoint` text NOT NULL,
	`role` text NOT NULL,
	`interface` text NOT NULL,
	PRIMARY KEY(`model_uuid`, `relation_id`, `application`, `endpoint`)
);
--> statement-breakpoint
CREATE INDEX `relation_endpoints_app` ON `relation_endpoints` (`model_uuid`,`application`);--> statement-breakpoint
CREATE TABLE `relations` (
	`model_uuid` text NOT NULL,
	`id` integer NOT NULL,
	`key` text NOT NULL,
	`interface` text NOT NULL,
	`scope` text NOT NULL,
	`status` text NOT NULL,
	`status_message` text DEFAULT '' NOT NULL,
	`status_since` integer NOT NULL,
	PRIMARY KEY(`model_uuid`, `id`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `relations_key` ON `relations` (`model_uuid`,`key`);--> statement-breakpoint
CREATE TABLE `status_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_uuid` text NOT NULL,
	`entity` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`since` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `status_history_entity` ON `status_history` (`model_uuid`,`entity`,`id`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`user` text NOT NULL,
	`model_uuid` text,
	`source_controller_uuid` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tokens_user` ON `tokens` (`user`);--> statement-breakpoint
CREATE INDEX `tokens_expires` ON `tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `units` (
	`model_uuid` text NOT NULL,
	`name` text NOT NULL,
	`application` text NOT NULL,
	`number` integer NOT NULL,
	`machine_id` text NOT NULL,
	`life` text DEFAULT 'alive' NOT NULL,
	`leader` integer DEFAULT false NOT NULL,
	`workload_status` text NOT NULL,
	`workload_message` text DEFAULT '' NOT NULL,
	`workload_since` integer NOT NULL,
	`agent_status` text NOT NULL,
	`agent_message` text DEFAULT '' NOT NULL,
	`agent_since` integer NOT NULL,
	`password_hash` text,
	PRIMARY KEY(`model_uuid`, `name`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `units_app` ON `units` (`model_uuid`,`application`,`number`);--> statement-breakpoint
CREATE INDEX `units_machine` ON `units` (`model_uuid`,`machine_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`name` text PRIMARY KEY NOT NULL,
	`display_name` text DEFAULT '' NOT NULL,
	`password_hash` text,
	`access` text NOT NULL,
	`created_by` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`last_login_at` integer,
	`disabled` integer DEFAULT false NOT NULL
);
