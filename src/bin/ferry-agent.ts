#!/usr/bin/env node
// ferry-agent: the agents of one or more simulated machines, each with its
// machine's units. A controller started with `--agents process` runs it for
// the machines it provisions; it keeps running when the controller stops
// (the machines are not part of the controller) and exits once its machines
// are gone.
import { Command, Option } from "commander";
import { resolve } from "node:path";
import { FERRY_VERSION } from "../config.js";
import type { AgentPhase } from "../agent/agent.js";
import { startAgentHost } from "../agent/host.js";
import { createLogger } from "../transport/index.js";

const PHASES = ["QUIESCE", "VALIDATION", "SUCCESS"];

function parseFail(v: string | undefined): { phase: AgentPhase; tag?: string } | undefined {
  if (!v) return undefined;
  const [phase, tag] = v.split(":");
  if (!PHASES.includes(phase!))
    throw new Error(`invalid --fail-phase "${v}": want QUIESCE, VALIDATION or SUCCESS[:<tag>]`);
  return { phase: phase as AgentPhase, tag: tag || undefined };
}

const program = new Command("ferry-agent")
  .description(
    "Run the agents of simulated machines: each machine's agent and its units' agents, every one with its own " +
      "credentials and connection to the controller named in its config file.",
  )
  .version(FERRY_VERSION)
  .requiredOption(
    "--config <file...>",
    "a machine's agent config (written by the controller at provisioning; more than one to host several machines)",
  )
  .addOption(
    new Option(
      "--fail-phase <phase[:tag]>",
      "test switch: report this migration phase as failed (every agent here, or the one with this tag)",
    ).env("FERRY_AGENT_FAIL_PHASE"),
  )
  .addOption(
    new Option("--log-level <level>", "debug, info, warn or error").default("info").env("FERRY_AGENT_LOG_LEVEL"),
  )
  .addHelpText(
    "after",
    "\nExample:\n  ferry-agent --config ~/.local/share/ferryd/dev/agents/<model-uuid>/machine-0.json",
  );

program.parse();
const flags = program.opts<{ config: string[]; failPhase?: string; logLevel: string }>();

async function main(): Promise<void> {
  const level = flags.logLevel as "debug" | "info" | "warn" | "error";
  const log = createLogger({ level, stream: process.stdout, fields: { component: "ferry-agent" } });
  // One agent's unexpected failure must not take down every agent this
  // process hosts: say it and carry on (each agent retries on its own).
  process.on("unhandledRejection", (err) => log.error("agent host: unhandled rejection", { error: String(err) }));
  process.on("uncaughtException", (err) => {
    log.error("agent host: uncaught exception; exiting", { error: String(err), stack: err.stack });
    process.exit(1);
  });
  const host = await startAgentHost({
    configs: flags.config.map((c) => resolve(c)),
    log,
    fail: parseFail(flags.failPhase),
    installMs: Number(process.env.FERRY_AGENT_INSTALL_MS ?? 300),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("agent host stopping", { signal });
    void host.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await host.done;
  if (!stopping) {
    log.info("agent host exiting: its machines are gone", { pid: process.pid });
    process.exit(0);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ferry-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
