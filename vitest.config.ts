import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One throwaway PostgreSQL cluster for the run; tests take databases on it.
    globalSetup: ["test/helpers/postgres-global.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Server and CLI tests start real processes; two cores, so keep the
    // parallelism modest to avoid timing flakes.
    maxWorkers: 2,
  },
});
