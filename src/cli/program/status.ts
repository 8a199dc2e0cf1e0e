import type { Command } from "commander";
import { count, examples, lazy } from "../run.js";

export function registerStatusCommands(program: Command): void {
  program
    .command("status")
    .description("Show the model's full status: model line (with Notes), applications, units, machines, relations.")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .option("--color", "colour the output even when stdout is not a terminal")
    .option("--no-color", "never colour the output")
    .option("--watch <interval>", "re-render every interval (e.g. 1s, 500ms, 2m) until interrupted")
    .addHelpText(
      "after",
      examples("ferry status", "ferry status -m dst:migrate --format json", "watch --color -n 1 ferry status --color"),
    )
    .action(lazy(() => import("../commands/status.js"), "status"));

  program
    .command("debug-log")
    .description("Show the model's log entries.")
    .option("-m, --model <model>", "[<controller>:]<model> (default: current)")
    .option("-n, --lines <n>", "show the last n entries", count, 10)
    .option("--replay", "show the whole log")
    .option("--tail", "keep following new entries until interrupted")
    .option("--level <level>", "minimum level: DEBUG, INFO, WARNING or ERROR")
    .addHelpText(
      "after",
      examples("ferry debug-log", "ferry debug-log --replay --level INFO", "ferry debug-log --tail"),
    )
    .action(lazy(() => import("../commands/debug-log.js"), "debugLog"));
}
