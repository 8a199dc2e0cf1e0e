import type { Command } from "commander";
import { count, examples, lazy } from "../run.js";

const migration = () => import("../commands/migration.js");
const backup = () => import("../commands/backup.js");

export function registerMigrationCommands(program: Command): void {
  program
    .command("migrate")
    .argument(
      "<models-and-destination...>",
      "[<controller>:]<model>... to move (default controller: the current one), then the destination controller",
    )
    .summary("move models to another controller")
    .description(
      "Start migrating one or more models to another controller; each migration runs on its source controller. " +
        "With several models (or --all), every model's prechecks run first and every failure is reported before " +
        "anything starts; then at most --parallel of them run at once. " +
        "You need admin on the models and superuser on both controllers; the destination must be in the client " +
        "store ('ferry login <host:port> -c <name>'). Take a backup of both controllers first ('ferry create-backup').",
    )
    .option("-c, --controller <name>", "the source controller (default: the model's, else the current one)")
    .option("--all", "every model of the source controller but the controller model (upgrading a controller)")
    .option("--parallel <n>", "with several models: how many migrate at once (default 2)", count)
    .option("--dry-run", "only run the prechecks and print the plan; change nothing")
    .option("--wait", "follow the migrations to their end; exit 0 when all are done, non-zero when any aborted")
    .addHelpText(
      "after",
      examples(
        "ferry migrate web dst",
        "ferry migrate src:web dst --dry-run",
        "ferry migrate -c src web dst --wait",
        "ferry migrate web shop blog dst --parallel 3 --wait",
        "ferry migrate -c old --all new --wait",
      ),
    )
    .action(lazy(migration, "migrate"));

  program
    .command("balance")
    .argument("<source-controller>", "the controller to take load off")
    .argument("<destination-controller>", "where the busiest models go")
    .summary("move the busiest models to another controller")
    .description(
      "Propose the busiest models of the source (API calls per second over the last 5 minutes) whose move brings " +
        "its load under --target of what it is now without taking the destination over that same level, with " +
        "each migration's estimated duration; with confirmation, migrate them as 'ferry migrate <model>... " +
        "<destination>' does. Needs superuser on both controllers.",
    )
    .option("--target <fraction>", "the share of its load the source keeps (default 0.7)")
    .option("--parallel <n>", "how many migrate at once (default 2)", count)
    .option("--wait", "follow the migrations to their end")
    .option("--dry-run", "print the plan; change nothing")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-prompt", "the same as -y")
    .addHelpText("after", examples("ferry balance old new --dry-run", "ferry balance old new --target 0.5 -y --wait"))
    .action(lazy(migration, "balance"));

  program
    .command("show-migration")
    .argument("[model]", "[<controller>:]<model>, or a migration id <model-uuid>:<attempt> (default: current model)")
    .description("Show a model's latest migration: phase, progress, timings per phase, time left, failure, target.")
    .option("-m, --model <model>", "[<controller>:]<model>")
    .option("-c, --controller <name>", "the source controller (default: the current one)")
    .option("--format <format>", "yaml or json", "yaml")
    .addHelpText("after", examples("ferry show-migration web", "ferry show-migration -c src web --format json"))
    .action(lazy(migration, "showMigration"));

  program
    .command("abort-migration")
    .argument("<model>", "[<controller>:]<model>, or a migration id <model-uuid>:<attempt>")
    .description("Abort a model's running migration; only possible before it reaches SUCCESS.")
    .option("-c, --controller <name>", "the source controller (default: the current one)")
    .option("--wait", "wait until the model is restored on the source controller")
    .addHelpText("after", examples("ferry abort-migration web", "ferry abort-migration -c src web --wait"))
    .action(lazy(migration, "abortMigration"));

  program
    .command("create-backup")
    .description(
      "Download a consistent backup of a controller (its store, CA and config) to a file readable only by you. " +
        "Needs superuser access. Also writes <file>.sha256.",
    )
    .option("-c, --controller <name>", "controller (default: current)")
    .option("-o, --output <file>", "file to write (default ferry-backup-<controller>-<time>.tar)")
    .addHelpText("after", examples("ferry create-backup", "ferry create-backup -c src -o src.tar"))
    .action(lazy(backup, "createBackup"));

  program
    .command("restore-backup")
    .argument("<file>", "a backup made by 'ferry create-backup'")
    .summary("start a controller from a backup, record it and log in")
    .description(
      "Start a controller (ferryd) from a backup in a new data dir: same UUID, CA, users and models. It is recorded " +
        "in the client store and you are logged in; the password is the one valid when the backup was made " +
        "(FERRY_ADMIN_PASSWORD, else prompted for or read from stdin's first line).",
    )
    .option("-c, --controller <name>", "name for it in the client store (default: the backup's controller name)")
    .option("-u, --user <user>", "user to log in as (default admin)")
    .option("--api-port <port>", "API port; 0 picks a free one", "17070")
    .option("--data-dir <dir>", "data directory (default $FERRY_HOME/controllers/<controller>)")
    .option("--sha256 <hex>", "refuse the backup unless its SHA-256 is this")
    .option("--store <url>", "for a backup of a controller on PostgreSQL: the (empty) database to restore into")
    .addHelpText(
      "after",
      examples(
        "ferry restore-backup ferry-backup-src-20261126-140307.tar",
        "ferry restore-backup src.tar -c src2 --api-port 0",
        "ferry restore-backup prod.tar --store postgres://ferry@127.0.0.1:5432/ferry_restored",
      ),
    )
    .action(lazy(backup, "restoreBackup"));
}
