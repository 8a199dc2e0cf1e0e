// Where the committed drizzle-kit migrations are, whether we run from src/
// (vitest) or dist/src/ (compiled): drizzle/sqlite/ and drizzle/postgres/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function migrationsFolder(engine: "sqlite" | "postgres"): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "drizzle", engine);
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`drizzle migrations folder for ${engine} not found`);
}
