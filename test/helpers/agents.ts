// Live agent processes (ferry-agent) in tests: which run for a controller's
// data dir, what their units' workloads reported, and making sure none is
// left behind.
import { execFileSync } from "node:child_process";
import type { Client } from "@connectrpc/connect";
import type { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { findAgentConfigs, processAlive, readAgentPid, stopProcesses } from "../../src/agent/config.js";

/**
 * Machine tag -> pid of the process hosting its agent, from the pid files of
 * one model's agents under a data dir (a data dir holds the configs of every
 * model it provisioned, each numbering its machines from 0).
 */
export async function agentPids(dataDir: string, modelUuid: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { path, modelUuid: m } of await findAgentConfigs(dataDir)) {
    if (m !== modelUuid) continue;
    const pid = await readAgentPid(path);
    const tag = /(machine-\d+)\.json$/.exec(path)![1]!;
    if (pid) out.set(tag, pid);
  }
  return out;
}

/** Every running ferry-agent process whose command line names a file under `dir`. */
export function agentProcessesUnder(dir: string): number[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((l) => /\/ferry-agent\.js\s/.test(l) && l.includes(dir))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((pid) => pid !== process.pid && processAlive(pid));
}

/** Stops whatever agent processes a test left under `dir`. */
export async function killAgentsUnder(dir: string): Promise<void> {
  await stopProcesses(agentProcessesUnder(dir), 1000);
}

/** The workload report sequence numbers a controller holds for a unit, oldest first, with their times. */
export async function reportSeqs(
  model: Client<typeof ModelService>,
  m: string,
  unit: string,
): Promise<{ seq: number; at: number }[]> {
  const out: { seq: number; at: number }[] = [];
  let beforeId = 0n;
  for (;;) {
    const res = await model.getStatusHistory({ model: m, entity: unit, kinds: ["report"], limit: 10_000, beforeId });
    for (const e of res.entries) {
      const s = e.status?.since;
      out.push({ seq: Number(e.seq), at: s ? Number(s.seconds) * 1000 + Math.round(s.nanos / 1e6) : 0 });
    }
    if (!res.more || !res.entries.length) break;
    beforeId = res.entries[res.entries.length - 1]!.id;
  }
  return out.reverse();
}

/** Throws unless the numbers are exactly 1..n, each once. */
export function expectContiguous(unit: string, seqs: number[]): void {
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i + 1)
      throw new Error(
        `${unit}: report ${i + 1} expected, got ${seqs[i]} (around ${seqs.slice(Math.max(0, i - 3), i + 3).join(",")})`,
      );
  }
}
