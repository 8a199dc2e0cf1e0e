import type { Command } from "commander";
import { collect, count, examples, lazy } from "../run.js";

export function registerStatusCommands(program: Command): void {
  program
    .command("status")
    .argument(
      "[selectors...]",
      "only these: machine ids, application or unit names (* as a wildcard), statuses, exposed/unexposed",
    )
    .description("Show the model's full status: model line (with Notes), applications, units, machines, relations.")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("--format <format>", "tabular, yaml, json, or short (one line per unit; also oneline, line)", "tabular")
    .option("--relations", "show the Integration section (the default; --integrations too)")
    .option("--integrations", "the same as --relations")
    .option("--no-relations", "leave the Integration section out")
    .option("--color", "colour the output even when stdout is not a terminal")
    .option("--no-color", "never colour the output")
    .option("--watch <interval>", "re-render every interval (e.g. 1s, 500ms, 2m) until interrupted")
    .addHelpText(
      "after",
      examples(
        "ferry status",
        "ferry status wordpress",
        "ferry status 'postgresql/*' 0 --format short",
        "ferry status error",
        "ferry status -m dst:web --format json",
        "watch --color -n 1 ferry status --color",
      ),
    )
    .action(lazy(() => import("../commands/status.js"), "status"));

  const entities = () => import("../commands/entities.js");
  program
    .command("show-application")
    .argument("<application>", "application name")
    .description("Show an application: its charm (with SHA-256), status, units, relations with their ids, and config.")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("--format <format>", "yaml or json", "yaml")
    .addHelpText("after", examples("ferry show-application wordpress", "ferry show-application blog --format json"))
    .action(lazy(entities, "showApplication"));

  program
    .command("show-machine")
    .argument("<id>", "machine id")
    .description(
      "Show a machine: its status, units, and its agent's connection (controller, address, since, last heard from).",
    )
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("--format <format>", "yaml or json", "yaml")
    .addHelpText("after", examples("ferry show-machine 0", "ferry show-machine 1 -m dst:web --format json"))
    .action(lazy(entities, "showMachine"));

  program
    .command("show-unit")
    .argument("<unit>", "unit name, e.g. postgresql/0")
    .description(
      "Show a unit: its status, its agent's connection (controller, address, since, last heard from) and its " +
        "workload's last report (sequence number and time).",
    )
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("--format <format>", "yaml or json", "yaml")
    .addHelpText("after", examples("ferry show-unit postgresql/0", "ferry show-unit wordpress/0 --format json"))
    .action(lazy(entities, "showUnit"));

  program
    .command("status-history")
    .alias("show-status-log")
    .argument("<entity>", "a unit (postgresql/0), a machine id (0), application-<name> or model")
    .description("Show the status history of a unit, machine, application or the model, oldest first.")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("-n, --lines <n>", "show the last n entries", count, 20)
    .option("--type <kinds>", "only these kinds, comma-separated: agent, instance, workload, report, model, relation")
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .addHelpText(
      "after",
      examples(
        "ferry status-history postgresql/0",
        "ferry status-history postgresql/0 --type report -n 100",
        "ferry status-history 0",
      ),
    )
    .action(lazy(entities, "statusHistory"));

  program
    .command("wait-for")
    .argument("<kind>", "model, application or unit")
    .argument("[name]", "its name (a model: default current)")
    .description(
      "Wait until a model, an application or a unit has settled: its machines started, its units idle with " +
        "their workload active, its relations joined.",
    )
    .option("-m, --model <model>", "[<controller>:]<model> for an application or unit (default: current)")
    .option("--timeout <duration>", "give up after this long (e.g. 90s, 5m)", "10m")
    .option(
      "--query <condition>",
      "wait until this holds instead, e.g. 'status==\"active\" && units>=3' " +
        "(fields: model: name, life, status, applications, units, machines; application: name, life, status, " +
        "exposed, charm, charm-rev, units, active-units; unit: name, life, status, workload-status, agent-status, " +
        "machine, leader, workload-seq; all: exists, settled)",
    )
    .addHelpText(
      "after",
      examples(
        "ferry wait-for model web",
        "ferry wait-for application wordpress --timeout 2m",
        "ferry wait-for unit postgresql/0",
        `ferry wait-for application wordpress --query 'active-units>=2'`,
        `ferry wait-for application wordpress --query '!exists'`,
      ),
    )
    .action(lazy(() => import("../commands/wait-for.js"), "waitFor"));

  program
    .command("debug-log")
    .description("Show the model's log entries and follow new ones until interrupted (--no-tail to stop).")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("-n, --lines <n>", "start with the last n entries", count, 10)
    .option("--replay", "start with the whole log")
    .option("--tail", "follow new entries until interrupted (the default)")
    .option("--no-tail", "print the entries and stop")
    .option("-l, --level <level>", "minimum level: DEBUG, INFO, WARNING or ERROR")
    .option(
      "-i, --include <entity>",
      "only these entities (repeatable or comma-separated): a machine (0), a unit (app/0), an application, model",
      collect,
    )
    .option("-x, --exclude <entity>", "not these entities (repeatable or comma-separated)", collect)
    .option("--include-module <module>", "only these modules, e.g. ferry.uniter (repeatable)", collect)
    .option("--exclude-module <module>", "not these modules (repeatable)", collect)
    .addHelpText(
      "after",
      examples(
        "ferry debug-log",
        "ferry debug-log --replay --no-tail --level WARNING",
        "ferry debug-log --include wordpress --exclude-module ferry.relations",
      ),
    )
    .action(lazy(() => import("../commands/debug-log.js"), "debugLog"));
}
