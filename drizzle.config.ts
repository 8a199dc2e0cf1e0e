import { defineConfig } from "drizzle-kit";

// drizzle-kit generates SQL migrations from src/store/schema.ts into drizzle/;
// they are committed and applied by the controller at start.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
});
