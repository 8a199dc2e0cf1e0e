import { defineConfig } from "drizzle-kit";

// drizzle-kit generates SQL migrations from src/store/schema/sqlite.ts into
// drizzle/sqlite/ (`npx drizzle-kit generate --config drizzle.sqlite.config.ts`);
// they are committed and applied by the controller at start.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema/sqlite.ts",
  out: "./drizzle/sqlite",
});
