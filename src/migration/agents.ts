// Waiting for agent reports (migration.md §6). The agents that must report
// on a phase are those watching the model's migration status on this
// controller when the wait starts, plus any that already reported on it (so a
// restarted worker, whose agents may not have reconnected yet, still counts
// the reports stored before). No agent connected: no wait.
import { sleep, StepFailed, Stopping, type MigrationTask } from "./task.js";

export type AgentPhase = "QUIESCE" | "VALIDATION" | "SUCCESS";

const POLL_MS = 100;

export function agentProgressMessage(base: string, succeeded: number, pending: number): string {
  return `${base} (${succeeded} of ${succeeded + pending} agents reported)`;
}

/** Said when a phase has nobody to wait for. */
export const NO_AGENTS = "no agents connected";

/**
 * Waits until every expected agent reported on `phase`, at most
 * options.agentTimeoutMs. QUIESCE and VALIDATION fail fast on a failed
 * report (and on the timeout); SUCCESS waits for all and only logs failures.
 */
export async function waitForAgents(t: MigrationTask, phase: AgentPhase, base: string): Promise<void> {
  const { log, store } = t.deps;
  const reportsNow = () => store.read((tx) => tx.migrations.minionReports(t.id, phase));
  const expected = new Set((await t.deps.agents?.connected(t.modelUuid)) ?? []);
  for (const r of await reportsNow()) expected.add(r.tag);
  if (!expected.size) {
    log.info("migration: model has no agents connected; not waiting for agent reports", { migration: t.id, phase });
    await t.message(`${base} (${NO_AGENTS})`, {
      agentsReported: 0,
      agentsPending: 0,
      agentsTotal: 0,
      agentsChecked: true,
      ...(phase === "SUCCESS" ? { agentsSwitched: 0 } : {}),
    });
    await t.modelLog(`${phase}: ${NO_AGENTS}; not waiting for agents`);
    return;
  }
  const strict = phase !== "SUCCESS";
  const signal = strict ? t.streamSignal : t.stopSignal;
  const deadline = t.now() + t.opts.agentTimeoutMs;
  log.info("migration: waiting for agent reports", { migration: t.id, phase, agents: [...expected] });
  let shown = "";
  const logged = new Set<string>();
  for (;;) {
    if (t.stopSignal.aborted) throw new Stopping();
    if (strict) await t.checkAbort();
    const reports = await reportsNow();
    for (const r of reports) expected.add(r.tag);
    const reported = new Map(reports.map((r) => [r.tag, r.success]));
    for (const [tag, ok] of reported) {
      if (ok || logged.has(tag)) continue;
      if (strict) throw new StepFailed(`agent ${tag} failed ${phase}`);
      logged.add(tag);
      log.warn("migration: agent failed to switch to the destination controller", { migration: t.id, agent: tag });
    }
    const succeeded = [...reported.values()].filter(Boolean).length;
    const pending = [...expected].filter((tag) => !reported.has(tag));
    const msg = agentProgressMessage(base, succeeded, pending.length);
    if (msg !== shown) {
      await t.message(msg, {
        agentsReported: succeeded,
        agentsPending: pending.length,
        agentsTotal: expected.size,
        agentsChecked: true,
        ...(phase === "SUCCESS" ? { agentsSwitched: succeeded } : {}),
      });
      shown = msg;
    }
    if (!pending.length) {
      log.info("migration: agents reported", { migration: t.id, phase, succeeded, failed: reported.size - succeeded });
      await t.modelLog(
        phase === "SUCCESS"
          ? `SUCCESS: agents switched: ${succeeded} of ${expected.size}`
          : `${phase}: ${succeeded} of ${expected.size} agents reported`,
      );
      return;
    }
    if (t.now() >= deadline) {
      if (strict) throw new StepFailed(`timed out waiting for agents to report ${phase}: ${pending.join(", ")}`);
      log.warn("migration: timed out waiting for agents to switch; going on", {
        migration: t.id,
        pending,
      });
      return;
    }
    await sleep(Math.min(POLL_MS, deadline - t.now()), signal);
  }
}
