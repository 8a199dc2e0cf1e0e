// Live agents with real processes (issue: "applications keep running"): two
// controllers started with --agents process, a model of 3 machines and 5
// units whose agents are ferry-agent processes. The migration must not
// restart any of them, every agent must end on the destination, and every
// unit's workload reports must be on the destination exactly once each,
// numbered without a gap, including the ones made while the model was
// frozen. Also: kill -9 of the source mid-migration, an agent failing its
// VALIDATION report, kill -9 of ferryd with agents running (and of an agent
// process: down/lost, then back), and nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  findAgentConfigs,
  processAlive,
  readAgentConfig,
  readAgentPid,
  stopProcesses,
  writeAgentConfig,
} from "../../src/agent/config.js";
import { agentPids, agentProcessesUnder, expectContiguous, killAgentsUnder, reportSeqs } from "../helpers/agents.js";
import { buildOnce, ROOT } from "./harness.js";

const AGENT_BIN = join(ROOT, "dist", "src", "bin", "ferry-agent.js");
import { migrate, MigrationPhase, restartCtl, startCtl, waitFor, waitPhase, type Ctl } from "../migration/harness.js";

const AGENT_ARGS = ["--agents", "process", "--workload-interval", "0.2", "--agent-timeout", "2"];
const AGENT_ENV = { FERRY_AGENT_INSTALL_MS: "50", FERRY_MIGRATION_TEST_DELAY_MS: "300" };

const ctls: Ctl[] = [];
const dirs: string[] = [];

async function controller(name: string, env: Record<string, string> = {}): Promise<Ctl> {
  const c = await startCtl(name, { args: AGENT_ARGS, env: { ...AGENT_ENV, ...env } });
  ctls.push(c);
  dirs.push(c.d.dataDir);
  return c;
}

beforeAll(() => buildOnce());

afterAll(async () => {
  await Promise.all(ctls.map((c) => c.d.stop()));
  for (const d of dirs) await killAgentsUnder(d);
  for (const c of ctls) c.d.cleanup();
});

/** 3 machines, 5 units (postgresql x3, wordpress x2 on machines 0 and 1), a relation. */
async function deployModel(c: Ctl, name: string): Promise<{ uuid: string; m: string }> {
  const { model } = await c.model.createModel({ name });
  const m = `admin/${name}`;
  await c.model.deployApplication({ model: m, charm: "postgresql", application: "pg", numUnits: 3 });
  await c.model.deployApplication({ model: m, charm: "wordpress", application: "wp", numUnits: 1, to: "0" });
  await c.model.addUnits({ model: m, application: "wp", to: "1" });
  await c.model.addRelation({ model: m, endpoints: ["wp:db", "pg:db"] });
  await settled(c, m);
  return { uuid: model!.uuid, m };
}

async function units(c: Ctl, m: string) {
  const st = (await c.model.getStatus({ model: m })).status!;
  return { st, units: st.applications.flatMap((a) => a.units) };
}

/** Every agent connected to `c`, machines started, units idle, relations joined, and every unit reporting. */
async function settled(c: Ctl, m: string, minSeq = 1): Promise<void> {
  await waitFor(
    `model ${m} settled with live agents`,
    async () => {
      const { st, units: us } = await units(c, m);
      return (
        st.machines.length > 0 &&
        st.machines.every((x) => x.agentStatus?.current === "started" && x.agent?.connected) &&
        us.length > 0 &&
        us.every(
          (u) => u.agentStatus?.current === "idle" && u.agent?.connected && Number(u.workload?.seq ?? 0) >= minSeq,
        ) &&
        st.relations.every((r) => r.status?.current === "joined")
      );
    },
    30_000,
  );
}

async function lastSeqs(c: Ctl, m: string): Promise<Map<string, number>> {
  const { units: us } = await units(c, m);
  return new Map(us.map((u) => [u.name, Number(u.workload?.seq ?? 0)]));
}

/** Every unit's reports on `c` are 1..n, each once, and n is past `after`. */
async function expectAllReports(c: Ctl, m: string, after: Map<string, number>): Promise<void> {
  for (const [unit, seq] of after) {
    const got = await reportSeqs(c.model, m, unit);
    expectContiguous(
      unit,
      got.map((r) => r.seq),
    );
    expect(got.length, unit).toBeGreaterThanOrEqual(seq);
  }
}

describe("live agents", () => {
  let src: Ctl;
  let dst: Ctl;

  beforeAll(async () => {
    [src, dst] = await Promise.all([controller("src"), controller("dst")]);
  });

  it("migrate with the workloads running: same processes, all on the destination, every report once", async () => {
    const { uuid, m } = await deployModel(src, "shop");
    const pids = await agentPids(src.d.dataDir, uuid);
    expect(pids.size).toBe(3);
    expect([...pids.values()].every(processAlive)).toBe(true);
    const before = await lastSeqs(src, m);

    const mig = await migrate(src, dst, m, uuid);
    const done = await waitPhase(src, mig.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000);
    expect(done.failure).toBe("");
    expect(done.phase).toBe(MigrationPhase.DONE);
    expect(done.progress?.agentsTotal).toBe(8);
    expect(done.progress?.agentsSwitched).toBe(8);

    // Every agent on the destination, by its own connection, and reporting there.
    await settled(dst, m, Math.max(...before.values()) + 5);
    const { st, units: us } = await units(dst, m);
    for (const x of [...st.machines.map((y) => y.agent), ...us.map((u) => u.agent)]) {
      expect(x?.connected).toBe(true);
      expect(x?.controller).toBe("dst");
      expect(x?.address).toBe(dst.d.address);
    }
    // The same processes: nothing was restarted.
    const after = await agentPids(src.d.dataDir, uuid);
    expect(after).toEqual(pids);
    expect([...after.values()].every(processAlive)).toBe(true);
    // Each unit's reports: from before the migration to after it, none lost, none twice.
    await expectAllReports(dst, m, await lastSeqs(dst, m));
    // Including those made while the model was frozen (queued, delivered after the switch).
    const frozenFrom = Number(done.startTime!.seconds) * 1000;
    const switchedAt = Number(done.endTime!.seconds) * 1000;
    const pg0 = await reportSeqs(dst.model, m, "pg/0");
    expect(pg0.some((r) => r.at > frozenFrom && r.at < switchedAt)).toBe(true);
    // The story is in the model's log on the destination.
    const logs: string[] = [];
    for await (const r of dst.model.streamLogs({ model: m, limit: 10_000 }))
      logs.push(...r.entries.map((e) => e.message));
    expect(logs.some((l) => /phase QUIESCE/.test(l))).toBe(true);
    expect(logs.some((l) => /QUIESCE: 8 of 8 agents reported/.test(l))).toBe(true);
    expect(logs.some((l) => /agents switched: 8 of 8/.test(l))).toBe(true);
  }, 120_000);

  it("agents that missed SUCCESS (down at the time) find the destination through the source's redirect", async () => {
    const { uuid, m } = await deployModel(src, "late");
    const mig = await migrate(src, dst, m, uuid);
    expect((await waitPhase(src, mig.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000)).phase).toBe(
      MigrationPhase.DONE,
    );
    await settled(dst, m);
    // The machines go down, and come back with configs that still name the
    // source (as if they had been down through SUCCESS).
    const configs = (await findAgentConfigs(src.d.dataDir)).filter((c) => c.modelUuid === uuid).map((c) => c.path);
    const pids = new Set((await Promise.all(configs.map(readAgentPid))).filter((p): p is number => !!p));
    await stopProcesses([...pids]);
    for (const path of configs) {
      const c = await readAgentConfig(path);
      await writeAgentConfig(path, {
        ...c,
        controllerUuid: src.uuid,
        controllerName: "src",
        addresses: [src.d.address],
        caCert: src.d.caPem,
      });
    }
    const agent = spawn(process.execPath, [AGENT_BIN, ...configs.flatMap((c) => ["--config", c])], {
      stdio: "ignore",
      env: { ...process.env, FERRY_AGENT_INSTALL_MS: "50" },
    });
    try {
      await settled(dst, m);
      for (const path of configs) {
        const c = await readAgentConfig(path);
        expect(c.addresses).toContain(dst.d.address);
        expect(c.controllerUuid).toBe(dst.uuid);
      }
      await expectAllReports(dst, m, await lastSeqs(dst, m));
    } finally {
      agent.kill("SIGTERM");
    }
  }, 120_000);

  it("kill -9 of the source mid-migration: it resumes, no agent restarts, nothing lost", async () => {
    const { uuid, m } = await deployModel(src, "kill");
    const pids = await agentPids(src.d.dataDir, uuid);
    expect(pids.size).toBe(3);
    const mig = await migrate(src, dst, m, uuid);
    await waitPhase(
      src,
      mig.id,
      [MigrationPhase.IMPORT, MigrationPhase.PROCESSRELATIONS, MigrationPhase.VALIDATION],
      30_000,
    );
    await src.d.kill();
    const i = ctls.indexOf(src);
    // Same port: the agents keep retrying the address they know.
    src = await restartCtl(src, AGENT_ENV, { samePort: true, args: AGENT_ARGS });
    ctls[i] = src;
    const done = await waitPhase(src, mig.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000);
    expect(done.phase).toBe(MigrationPhase.DONE);
    await settled(dst, m, 5);
    const now = await agentPids(src.d.dataDir, uuid);
    for (const [tag, pid] of pids) expect(now.get(tag), tag).toBe(pid);
    expect([...pids.values()].every(processAlive)).toBe(true);
    await expectAllReports(dst, m, await lastSeqs(dst, m));
  }, 120_000);

  it("an agent failing VALIDATION aborts the migration; its agents stay on the source and keep reporting", async () => {
    const bad = await controller("bad", { FERRY_AGENT_FAIL_PHASE: "VALIDATION:unit-pg-1" });
    const { uuid, m } = await deployModel(bad, "fail");
    const pids = await agentPids(bad.d.dataDir, uuid);
    const before = await lastSeqs(bad, m);
    const mig = await migrate(bad, dst, m, uuid);
    const end = await waitPhase(bad, mig.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000);
    expect(end.phase).toBe(MigrationPhase.ABORTDONE);
    expect(end.failure).toBe("agent unit-pg-1 failed VALIDATION");
    // Still on the source, the same processes, reporting on (the queued reports too).
    await settled(bad, m, Math.max(...before.values()) + 5);
    const { st, units: us } = await units(bad, m);
    for (const x of [...st.machines.map((y) => y.agent), ...us.map((u) => u.agent)]) {
      expect(x?.connected).toBe(true);
      expect(x?.controller).toBe("bad");
    }
    expect(await agentPids(bad.d.dataDir, uuid)).toEqual(pids);
    await expectAllReports(bad, m, await lastSeqs(bad, m));
    await expect(dst.model.getStatus({ model: m })).rejects.toThrow();
  }, 120_000);

  it("agents outlive a kill -9 of ferryd and come back; a dead agent shows down/lost until it is back", async () => {
    const c = await controller("crash");
    const { uuid, m } = await deployModel(c, "crash");
    const pids = await agentPids(c.d.dataDir, uuid);
    await c.d.kill();
    // The machines are not part of the controller.
    expect([...pids.values()].every(processAlive)).toBe(true);
    const i = ctls.indexOf(c);
    let again = await restartCtl(c, AGENT_ENV, { samePort: true, args: AGENT_ARGS });
    ctls[i] = again;
    const seen = await lastSeqs(again, m);
    await settled(again, m, Math.max(...seen.values()) + 3);
    expect(await agentPids(again.d.dataDir, uuid)).toEqual(pids);

    // A machine dies (the agent process hosting it, with the machines it shares
    // that process with): after the timeout it is down and its units lost.
    const victim = pids.get("machine-2")!;
    process.kill(victim, "SIGKILL");
    await waitFor(
      "machine 2 down, its unit lost",
      async () => {
        const { st, units: us } = await units(again, m);
        const mc = st.machines.find((x) => x.id === "2");
        const u = us.filter((x) => x.machine === "2");
        return (
          mc?.agentStatus?.current === "down" &&
          u.length > 0 &&
          u.every((x) => x.agentStatus?.current === "lost" && !x.agent?.connected)
        );
      },
      20_000,
    );
    // The controller restarting finds the machine's agent gone and starts it again; it comes back.
    again = await restartCtl(again, AGENT_ENV, { samePort: true, args: AGENT_ARGS });
    ctls[i] = again;
    await settled(again, m);
    const now = await agentPids(again.d.dataDir, uuid);
    expect(now.get("machine-2")).not.toBe(victim);
    expect([...now.values()].every(processAlive)).toBe(true);
    await expectAllReports(again, m, await lastSeqs(again, m));
  }, 120_000);

  it("destroying a model stops its agents", async () => {
    const c = await controller("gone");
    const { uuid, m } = await deployModel(c, "gone");
    const pids = [...(await agentPids(c.d.dataDir, uuid)).values()];
    expect(pids.length).toBeGreaterThan(0);
    await c.model.deleteModel({ model: m });
    await waitFor("agent processes to exit", async () => pids.every((p) => !processAlive(p)), 20_000);
    expect(agentProcessesUnder(c.d.dataDir)).toEqual([]);
  }, 60_000);
});
