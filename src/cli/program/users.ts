import type { Command } from "commander";
import { examples, lazy } from "../run.js";

const users = () => import("../commands/users.js");

export function registerUserCommands(program: Command): void {
  program
    .command("add-user")
    .argument("<name>", "new user name")
    .description("Add a user to the controller. The password is prompted for, or read from stdin's first line.")
    .option("-c, --controller <name>", "controller (default: current)")
    .option("--display-name <name>", "display name")
    .option("--no-password", "create the user without a password (cannot log in until one is set)")
    .addHelpText("after", examples("ferry add-user bob", "echo 's3cret-pass' | ferry add-user bob"))
    .action(lazy(users, "addUser"));

  program
    .command("change-user-password")
    .argument("[name]", "user (default: yourself)")
    .description("Set a user's password (yours, or anyone's as a superuser). Other sessions of that user end.")
    .option("-c, --controller <name>", "controller (default: current)")
    .addHelpText("after", examples("ferry change-user-password", "echo 'n3w-pass' | ferry change-user-password bob"))
    .action(lazy(users, "changeUserPassword"));

  program
    .command("grant")
    .argument("<user>", "user to grant access to")
    .argument("<access>", "read, write or admin (model); login, add-model or superuser (controller)")
    .argument("[models...]", "models, each [<controller>:]<model>; none for controller access")
    .description("Grant a user access to models, or to the controller.")
    .option("-c, --controller <name>", "controller (default: current)")
    .addHelpText("after", examples("ferry grant bob read migrate", "ferry grant bob superuser"))
    .action(lazy(users, "grant"));

  program
    .command("revoke")
    .argument("<user>", "user whose access to revoke")
    .argument("<access>", "read, write or admin (model); login, add-model or superuser (controller)")
    .argument("[models...]", "models, each [<controller>:]<model>; none for controller access")
    .description("Revoke access down to the level below the one named (revoking read removes model access).")
    .option("-c, --controller <name>", "controller (default: current)")
    .addHelpText("after", examples("ferry revoke bob write migrate", "ferry revoke bob read migrate"))
    .action(lazy(users, "revoke"));

  program
    .command("users")
    .description("List the controller's users.")
    .option("-c, --controller <name>", "controller (default: current)")
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .addHelpText("after", examples("ferry users", "ferry users --format yaml"))
    .action(lazy(users, "listUsers"));
}
