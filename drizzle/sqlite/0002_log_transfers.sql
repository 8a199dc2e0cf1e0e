CREATE TABLE `log_transfers` (
	`model_uuid` text PRIMARY KEY NOT NULL,
	`source_seq` integer NOT NULL,
	`time` integer NOT NULL,
	`count` integer NOT NULL,
	`updated_at` integer NOT NULL
);
