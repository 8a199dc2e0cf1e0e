CREATE TABLE `migration_minion_reports` (
	`migration_id` text NOT NULL,
	`phase` text NOT NULL,
	`tag` text NOT NULL,
	`success` integer NOT NULL,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`migration_id`, `phase`, `tag`)
);
