import type { Command } from "commander";
import { collect, count, examples, lazy } from "../run.js";

const apps = () => import("../commands/applications.js");
const config = () => import("../commands/config.js");
const MODEL = "[<controller>:]<model> (default: current)";

export function registerApplicationCommands(program: Command): void {
  program
    .command("add-machine")
    .description("Add simulated machines; they start and report 'started'.")
    .option("-m, --model <model>", MODEL)
    .option("-n, --num-machines <n>", "how many", count, 1)
    .option("--base <base>", "OS base, e.g. ubuntu@24.04")
    .addHelpText("after", examples("ferry add-machine", "ferry add-machine -n 3 -m src:migrate"))
    .action(lazy(apps, "addMachine"));

  program
    .command("deploy")
    .argument("<charm>", "a built-in charm name (e.g. postgresql) or a path to a local charm archive")
    .argument("[application]", "application name (default: the charm name)")
    .description("Deploy an application from a charm.")
    .option("-m, --model <model>", MODEL)
    .option("-n, --num-units <n>", "number of units", count, 1)
    .option("--to <machine>", "machine for the first unit")
    .option("--config <key=value>", "initial config (repeatable)", collect)
    .addHelpText(
      "after",
      examples("ferry deploy postgresql", "ferry deploy wordpress blog -n 2", "ferry deploy ./mycharm.charm"),
    )
    .action(lazy(apps, "deploy"));

  program
    .command("add-unit")
    .argument("<application>", "application")
    .description("Add units to an application.")
    .option("-m, --model <model>", MODEL)
    .option("-n, --num-units <n>", "number of units", count, 1)
    .option("--to <machine>", "machine to place them on")
    .addHelpText("after", examples("ferry add-unit wordpress", "ferry add-unit wordpress -n 2"))
    .action(lazy(apps, "addUnit"));

  program
    .command("remove-unit")
    .argument("<units...>", "units, <application>/<n>")
    .description("Remove units.")
    .option("-m, --model <model>", MODEL)
    .addHelpText("after", examples("ferry remove-unit wordpress/1"))
    .action(lazy(apps, "removeUnit"));

  program
    .command("integrate")
    .alias("relate")
    .argument("<endpoint1>", "<application>[:<endpoint>]")
    .argument("<endpoint2>", "<application>[:<endpoint>]")
    .description("Relate two applications' endpoints.")
    .option("-m, --model <model>", MODEL)
    .addHelpText(
      "after",
      examples("ferry integrate wordpress postgresql", "ferry integrate wordpress:db postgresql:db"),
    )
    .action(lazy(apps, "integrate"));

  program
    .command("remove-relation")
    .argument("<endpoint1>", "<application>[:<endpoint>], or a relation id alone")
    .argument("[endpoint2]", "<application>[:<endpoint>]")
    .description("Remove a relation.")
    .option("-m, --model <model>", MODEL)
    .addHelpText("after", examples("ferry remove-relation wordpress postgresql", "ferry remove-relation 0"))
    .action(lazy(apps, "removeRelation"));

  program
    .command("config")
    .argument("<application>", "application")
    .argument("[settings...]", "key=value to set, or one key to print")
    .description("Show or change an application's config.")
    .option("-m, --model <model>", MODEL)
    .option("--reset <keys>", "comma-separated keys to reset to their defaults")
    .option("--format <format>", "yaml or json (when showing)", "yaml")
    .addHelpText(
      "after",
      examples(
        "ferry config wordpress",
        "ferry config wordpress blog-title",
        "ferry config wordpress blog-title=Hello",
      ),
    )
    .action(lazy(config, "applicationConfig"));

  program
    .command("model-config")
    .argument("[settings...]", "key=value to set, or one key to print")
    .description("Show or change the model's config.")
    .option("-m, --model <model>", MODEL)
    .option("--reset <keys>", "comma-separated keys to remove")
    .option("--format <format>", "tabular, yaml or json (when showing)", "tabular")
    .addHelpText("after", examples("ferry model-config", "ferry model-config logging-level=DEBUG"))
    .action(lazy(config, "modelConfig"));
}
