import type { Command } from "commander";
import { registerControllerCommands } from "./controllers.js";
import { registerUserCommands } from "./users.js";
import { registerModelCommands } from "./models.js";
import { registerApplicationCommands } from "./applications.js";
import { registerStatusCommands } from "./status.js";
import { registerMigrationCommands } from "./migration.js";

/** Command groups, in `ferry --help` order. */
export const COMMAND_GROUPS: ((program: Command) => void)[] = [
  registerControllerCommands,
  registerUserCommands,
  registerModelCommands,
  registerApplicationCommands,
  registerStatusCommands,
  registerMigrationCommands,
];
