// A ferry-agent process: it hosts the agents of one or more machines (one
// process per machine would cost a Node.js runtime per machine; a thousand
// agents fit in a few processes), each with its own credentials, config file
// and connection. It records its pid next to each config, stops cleanly on
// SIGTERM, and exits once every machine it hosts is gone.
import { writeFileAtomic } from "../util/files.js";
import type { Logger } from "../transport/log.js";
import type { AgentPhase } from "./agent.js";
import { pidFileOf, readAgentConfig } from "./config.js";
import { MachineAgent } from "./machine-agent.js";

export interface AgentHostOptions {
  configs: string[];
  log: Logger;
  fail?: { phase: AgentPhase; tag?: string };
  retryMs?: number;
  maxRetryMs?: number;
  installMs?: number;
}

export interface AgentHost {
  machines: MachineAgent[];
  /** Resolves once every machine is gone (or stop() was called). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startAgentHost(opts: AgentHostOptions): Promise<AgentHost> {
  const machines: MachineAgent[] = [];
  let left = opts.configs.length;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  for (const path of opts.configs) {
    const config = await readAgentConfig(path);
    await writeFileAtomic(pidFileOf(path), `${process.pid}\n`, 0o644);
    const log = opts.log.child({ model: config.modelUuid });
    const m = new MachineAgent({
      configPath: path,
      config,
      fail: opts.fail,
      retryMs: opts.retryMs,
      maxRetryMs: opts.maxRetryMs,
      installMs: opts.installMs,
      log: (msg, fields) => log.info(msg, fields),
      onGone: () => {
        if (--left === 0) finish();
      },
    });
    machines.push(m);
  }
  for (const m of machines) m.start();
  opts.log.info("agent host started", {
    pid: process.pid,
    machines: machines.map((m) => m.tag),
    units: machines.reduce((n, m) => n + m.units.size, 0),
  });
  return {
    machines,
    done,
    async stop() {
      await Promise.all(machines.map((m) => m.stop()));
      finish();
    },
  };
}
