// The `ferry` program: command definitions only. Every command's work lives in
// a module under ./commands that is imported when (and only when) it runs.
import { Command, InvalidArgumentError } from "commander";
import { COMMAND_GROUPS } from "./program/index.js";
import { notYetCommand } from "./program/not-yet.js";
import { FERRY_VERSION } from "../version.js";

export function buildProgram(): Command {
  const program = new Command("ferry")
    .description("Ferry: run controllers, models and applications, and migrate models between controllers.")
    .version(FERRY_VERSION, "--version", "print the client's version")
    .option("--debug", "print stack traces and internal details on failure")
    .option("--color", "colour the output even when it is not a terminal (also FORCE_COLOR=1)")
    .option("--no-color", "never colour the output (also NO_COLOR=1 or TERM=dumb)")
    .showSuggestionAfterError(true)
    .configureOutput({
      // Usage errors follow the same `ERROR <message>` convention as the rest.
      outputError: (str, write) => write(`ERROR ${str.replace(/^error: /, "")}`),
    })
    .addHelpText("after", "\nRun 'ferry <command> --help' for a command's options and examples.\n");
  for (const register of COMMAND_GROUPS) register(program);
  program
    .command("version")
    .description("Print the client's version (a controller's is in 'ferry show-controller').")
    .addHelpText("after", "\nExamples:\n  ferry version\n  ferry --version\n")
    .action(() => {
      process.stdout.write(`${FERRY_VERSION}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const missing = notYetCommand(argv.slice(2));
  if (missing) {
    process.stderr.write(
      `ERROR "${missing.name}" is a command of the reference system that Ferry does not have: ${missing.why}.\n` +
        "Ferry's commands beside the reference's: docs/cli.md, or 'ferry --help'.\n",
    );
    process.exitCode = 1;
    return;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Option parsers throw plain errors; commander reports its own ones.
    if (err instanceof InvalidArgumentError || err instanceof Error) {
      process.stderr.write(`ERROR ${err.message}\n`);
      process.exitCode = 1;
    } else throw err;
  }
}
