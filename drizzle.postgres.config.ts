import { defineConfig } from "drizzle-kit";

// drizzle-kit generates SQL migrations from src/store/schema/postgres.ts into
// drizzle/postgres/ (`npx drizzle-kit generate --config drizzle.postgres.config.ts`);
// they are committed and applied by every node at start.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema/postgres.ts",
  out: "./drizzle/postgres",
});
