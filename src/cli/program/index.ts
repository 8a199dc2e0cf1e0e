import type { Command } from "commander";
import { registerControllerCommands } from "./controllers.js";
import { registerUserCommands } from "./users.js";
import { registerModelCommands } from "./models.js";
import { registerApplicationCommands } from "./applications.js";
import { registerStatusCommands } from "./status.js";

/**
 * Command groups, in `ferry --help` order. Extension point: the migration
 * and backup commands (migrate, show-migration, abort-migration,
 * create-backup, restore-backup) come as one more group here — a
 * `program/migration.ts` registering them with `lazy(() =>
 * import("../commands/migration.js"), ...)` — and nothing else changes.
 */
export const COMMAND_GROUPS: ((program: Command) => void)[] = [
  registerControllerCommands,
  registerUserCommands,
  registerModelCommands,
  registerApplicationCommands,
  registerStatusCommands,
];
