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
    .addHelpText("after", examples("ferry add-machine", "ferry add-machine -n 3 -m src:web"))
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
    .option("--wait [timeout]", "wait until its units are idle and its relations joined (default timeout 10m)")
    .addHelpText(
      "after",
      examples("ferry deploy postgresql", "ferry deploy wordpress blog -n 2 --wait", "ferry deploy ./mycharm.charm"),
    )
    .action(lazy(apps, "deploy"));

  program
    .command("add-unit")
    .argument("<application>", "application")
    .description("Add units to an application.")
    .option("-m, --model <model>", MODEL)
    .option("-n, --num-units <n>", "number of units", count, 1)
    .option("--to <machine>", "machine to place them on")
    .option("--wait [timeout]", "wait until the new units are idle (default timeout 10m)")
    .addHelpText("after", examples("ferry add-unit wordpress", "ferry add-unit wordpress -n 2 --wait 5m"))
    .action(lazy(apps, "addUnit"));

  program
    .command("remove-unit")
    .argument("<units...>", "units, <application>/<n>")
    .description("Remove units.")
    .option("-m, --model <model>", MODEL)
    .addHelpText("after", examples("ferry remove-unit wordpress/1"))
    .action(lazy(apps, "removeUnit"));

  program
    .command("remove-application")
    .argument("<applications...>", "application names")
    .description("Remove applications: their relations at once, then their units and their agents.")
    .option("-m, --model <model>", MODEL)
    .option("--no-prompt", "do not ask for confirmation (accepted for the reference's scripts; nothing is asked)")
    .addHelpText("after", examples("ferry remove-application wordpress", "ferry remove-application blog -m prod"))
    .action(lazy(apps, "removeApplication"));

  program
    .command("remove-machine")
    .argument("<machines...>", "machine ids")
    .description("Remove machines; one that hosts units is refused unless --force removes them too.")
    .option("-m, --model <model>", MODEL)
    .option("--force", "also remove the units on these machines")
    .option("--no-prompt", "do not ask for confirmation (accepted for the reference's scripts; nothing is asked)")
    .addHelpText("after", examples("ferry remove-machine 3", "ferry remove-machine 1 2 --force"))
    .action(lazy(apps, "removeMachine"));

  program
    .command("expose")
    .argument("<application>", "application")
    .description("Expose an application (the Exposed column of status).")
    .option("-m, --model <model>", MODEL)
    .addHelpText("after", examples("ferry expose wordpress"))
    .action(lazy(apps, "expose"));

  program
    .command("unexpose")
    .argument("<application>", "application")
    .description("Unexpose an application.")
    .option("-m, --model <model>", MODEL)
    .addHelpText("after", examples("ferry unexpose wordpress"))
    .action(lazy(apps, "unexpose"));

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
