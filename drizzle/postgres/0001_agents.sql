CREATE TABLE "agent_links" (
	"model_uuid" text COLLATE "C" NOT NULL,
	"tag" text COLLATE "C" NOT NULL,
	"node_id" text COLLATE "C" NOT NULL,
	"address" text COLLATE "C" NOT NULL,
	"connected_at" bigint NOT NULL,
	"seen_at" bigint NOT NULL,
	CONSTRAINT "agent_links_model_uuid_tag_pk" PRIMARY KEY("model_uuid","tag")
);
--> statement-breakpoint
ALTER TABLE "status_history" ADD COLUMN "seq" bigint;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "workload_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "workload_counter" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "units" ADD COLUMN "workload_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_links" ADD CONSTRAINT "agent_links_model_uuid_models_uuid_fk" FOREIGN KEY ("model_uuid") REFERENCES "public"."models"("uuid") ON DELETE cascade ON UPDATE no action;