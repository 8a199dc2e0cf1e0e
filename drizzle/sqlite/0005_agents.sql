CREATE TABLE `agent_links` (
	`model_uuid` text NOT NULL,
	`tag` text NOT NULL,
	`node_id` text NOT NULL,
	`address` text NOT NULL,
	`connected_at` integer NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`model_uuid`, `tag`),
	FOREIGN KEY (`model_uuid`) REFERENCES `models`(`uuid`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `status_history` ADD `seq` integer;--> statement-breakpoint
ALTER TABLE `units` ADD `workload_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `units` ADD `workload_counter` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `units` ADD `workload_at` integer DEFAULT 0 NOT NULL;