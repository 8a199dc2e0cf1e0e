import type { Command } from "commander";
import { examples, lazy } from "../run.js";

const bootstrap = () => import("../commands/bootstrap.js");
const kill = () => import("../commands/kill-controller.js");
const controllers = () => import("../commands/controllers.js");
const login = () => import("../commands/login.js");
const ha = () => import("../commands/ha.js");

export function registerControllerCommands(program: Command): void {
  program
    .command("bootstrap")
    .argument("<cloud[/region]>", "cloud name, optionally with its region")
    .argument("<controller>", "name for the new controller")
    .summary("start a controller in the background and log in to it as admin")
    .description(
      "Start a controller daemon (ferryd) in the background, wait until it is healthy, record it and log in as admin. " +
        "The admin password comes from FERRY_ADMIN_PASSWORD, else the first line of stdin (when not a terminal), " +
        "else it is generated and shown once.",
    )
    .option("--cloud-type <type>", "cloud type (substrate)", "lxd")
    .option("--agent-version <version>", "controller and agent version")
    .option("--api-port <port>", "API port; 0 picks a free one", "17070")
    .option("--data-dir <dir>", "data directory (default $FERRY_HOME/controllers/<controller>)")
    .option(
      "--store <store>",
      '"sqlite" (default: the embedded store in the data dir) or postgres://user[:password]@host:port/database ' +
        "(a store more nodes can share: see enable-ha)",
    )
    .option(
      "--agents <mode>",
      '"process": every machine gets a live agent (ferry-agent processes that keep running when the controller ' +
        'stops, and follow their model when it migrates); "none": agent statuses are simulated',
      "process",
    )
    .option("--agent-timeout <seconds>", "an agent silent this long shows as down (machines) or lost (units)")
    .option("--workload-interval <seconds>", "how often each unit's workload reports")
    .addHelpText(
      "after",
      examples(
        "ferry bootstrap localhost/localhost src",
        "ferry bootstrap localhost lab --agents none",
        "ferry bootstrap localhost dst --api-port 0",
        "ferry bootstrap localhost prod --store postgres://ferry@127.0.0.1:5432/ferry",
      ),
    )
    .action(lazy(bootstrap, "bootstrap"));

  program
    .command("enable-ha")
    .summary("start more nodes of a controller on its PostgreSQL store (one controller, several processes)")
    .description(
      "Make a controller bootstrapped with --store postgres://... highly available: start local ferryd nodes " +
        "(each with its own data dir and port) until it has -n of them, and record their addresses. Any node " +
        "serves any call; when one stops, another takes over its work within the lease time, and the client " +
        "moves on to the next address.",
    )
    .option("-n, --number <n>", "how many nodes in all", "3")
    .option("-c, --controller <name>", "controller (default: current)")
    .addHelpText("after", examples("ferry enable-ha", "ferry enable-ha -n 5 -c prod"))
    .action(lazy(ha, "enableHa"));

  program
    .command("show-controller")
    .argument("[controller]", "controller (default: current)")
    .description("Show a controller: identity, cloud, store, CA, and every node with its addresses and health.")
    .option("--format <format>", "yaml or json", "yaml")
    .option("--show-password", "include the admin password bootstrap kept in the accounts file")
    .addHelpText(
      "after",
      examples(
        "ferry show-controller",
        "ferry show-controller prod --format json",
        "ferry show-controller --show-password",
      ),
    )
    .action(lazy(ha, "showController"));

  program
    .command("start-controller")
    .argument("[controller]", "a controller this client bootstrapped (default: current)")
    .description(
      "Start again a controller whose process stopped or crashed: the same data dir, address and flags as at bootstrap.",
    )
    .addHelpText("after", examples("ferry start-controller src", "ferry start-controller"))
    .action(lazy(() => import("../commands/start-controller.js"), "startController"));

  program
    .command("kill-controller")
    .argument("<controller>", "controller to stop")
    .description(
      "Stop a controller this client bootstrapped (every node it started), delete their data dirs and forget it.",
    )
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-prompt", "the same as -y")
    .option("--timeout <seconds>", "seconds to wait for a clean shutdown before SIGKILL", "15")
    .addHelpText("after", examples("ferry kill-controller src -y"))
    .action(lazy(kill, "killController"));

  program
    .command("controllers")
    .description(
      "List the controllers this client knows, with how many of their nodes answer; '*' marks the current one.",
    )
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .addHelpText("after", examples("ferry controllers", "ferry controllers --format json"))
    .action(lazy(controllers, "listControllers"));

  program
    .command("switch")
    .argument(
      "[target]",
      "<controller>, <controller>:<model>, <model> (on the current controller), or - for the previous one",
    )
    .description("Set the current controller and/or model; with no argument, show them.")
    .addHelpText("after", examples("ferry switch dst", "ferry switch dst:web", "ferry switch web", "ferry switch -"))
    .action(lazy(controllers, "switchTo"));

  program
    .command("whoami")
    .description("Show the current controller, model and user.")
    .option("-c, --controller <name>", "controller (default: current)")
    .option("--format <format>", "tabular, yaml or json", "tabular")
    .addHelpText("after", examples("ferry whoami"))
    .action(lazy(controllers, "whoami"));

  program
    .command("login")
    .argument("[address]", "host:port of a controller not yet in the client store")
    .summary("register a controller (after checking its CA fingerprint) and log in, or log in again")
    .description(
      "Register a controller (shows its CA fingerprint and asks to trust it) and log in; with no address, " +
        "log in again to a known controller. The password is prompted for, or read from stdin's first line.",
    )
    .option("-c, --controller <name>", "name to store the controller under / controller to log in to")
    .option("-u, --user <user>", "user name (default: the stored one, else admin)")
    .option("--trust", "trust the controller's CA without asking")
    .option("--fingerprint <fp>", "trust the CA only if its SHA-256 fingerprint is this")
    .addHelpText(
      "after",
      examples(
        "ferry login 10.0.0.5:17070 -c dst",
        'echo "$PW" | ferry login 10.0.0.5:17070 -c dst -u bob --fingerprint 93:73:88:...',
        "ferry login -c src",
      ),
    )
    .action(lazy(login, "login"));

  program
    .command("logout")
    .description("Revoke and forget the session token for a controller.")
    .option("-c, --controller <name>", "controller (default: current)")
    .addHelpText("after", examples("ferry logout", "ferry logout -c dst"))
    .action(lazy(login, "logout"));
}
