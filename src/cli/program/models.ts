import type { Command } from "commander";
import { collect, examples, lazy } from "../run.js";

const models = () => import("../commands/models.js");

export function registerModelCommands(program: Command): void {
  program
    .command("add-model")
    .argument("<name>", "model name")
    .description("Add a model to the controller and make it the current model.")
    .option("-c, --controller <name>", "controller (default: current)")
    .option("--region <region>", "cloud region (default: the controller's)")
    .option("--owner <user>", "owner (superusers only; default: you)")
    .option("--config <key=value>", "initial model config (repeatable)", collect)
    .option("--no-switch", "do not make it the current model")
    .addHelpText("after", examples("ferry add-model migrate", "ferry add-model prod --config logging-level=DEBUG"))
    .action(lazy(models, "addModel"));

  program
    .command("models")
    .description("List the models you can see on a controller; '*' marks the current one.")
    .option("-c, --controller <name>", "controller (default: current)")
    .option("--all", "superusers: every model on the controller")
    .option("--load", "superusers: each model's load (calls per second over 1, 5 and 15 minutes), busiest first")
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .addHelpText("after", examples("ferry models", "ferry models -c dst --format json", "ferry models --load"))
    .action(lazy(models, "listModels"));

  program
    .command("show-model")
    .argument("[model]", "[<controller>:]<model> (default: -m or the current model)")
    .description("Show a model in detail, including the latest migration.")
    .option("-m, --model <model>", "[<controller>:]<model>")
    .option("--format <format>", "yaml or json", "yaml")
    .addHelpText("after", examples("ferry show-model", "ferry show-model src:web --format json"))
    .action(lazy(models, "showModel"));

  program
    .command("destroy-model")
    .argument("<model>", "[<controller>:]<model>")
    .description("Destroy a model and everything in it.")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-prompt", "the same as -y")
    .addHelpText("after", examples("ferry destroy-model migrate -y"))
    .action(lazy(models, "destroyModel"));
}
