// bench/agents: migrations with live agents. For N agents in all (machines
// plus units, four units per machine), two local ferryd processes started
// with --agents process give every machine a ferry-agent; each unit's
// workload reports every second. Prints per N: the migration's total time
// against the same model migrated between controllers without agents
// (measured in the same run), QUIESCE->SUCCESS, the longest gap between a
// unit's last report accepted by the source and its first accepted by the
// destination (p50 and max, as the agents logged them), reports lost and
// reported twice on the destination (both must be 0), peak RSS of all agent
// processes together, and the controller's CPU with N idle agents connected.
// Usage: npm run bench:agents [-- --agents 10,100,1000 --interval 1]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService, type Migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { findAgentConfigs, readAgentPid } from "../../src/agent/config.js";
import { killAgentsUnder, reportSeqs } from "../../test/helpers/agents.js";
import { clientFor, startFerryd, type Ferryd } from "../../test/helpers/ferryd.js";

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const COUNTS = (option("--agents") ?? "10,100,1000").split(",").map(Number);
const INTERVAL_S = Number(option("--interval") ?? 1);
const UNITS_PER_MACHINE = 4;

async function admin(d: Ferryd) {
  const { token } = await clientFor(d, ControllerService).login({ user: "admin", password: d.adminPassword });
  return {
    ctl: clientFor(d, ControllerService, token),
    model: clientFor(d, ModelService, token),
    mig: clientFor(d, MigrationService, token),
  };
}

type Admin = Awaited<ReturnType<typeof admin>>;

function procStatus(pid: number, key: "VmHWM" | "VmRSS"): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 300_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A model of `machines` machines with UNITS_PER_MACHINE units each, settled. */
async function buildModel(a: Admin, name: string, machines: number, live: boolean): Promise<string> {
  const { model } = await a.model.createModel({ name });
  const m = `admin/${name}`;
  await a.model.deployApplication({ model: m, charm: "postgresql", application: "db", numUnits: machines });
  for (const app of ["web", "cache", "queue"]) {
    await a.model.deployApplication({ model: m, charm: "wordpress", application: app, numUnits: 1, to: "0" });
    for (let i = 1; i < machines; i++) await a.model.addUnits({ model: m, application: app, to: String(i) });
  }
  await waitFor(`model ${name} settled`, async () => {
    const st = (await a.model.getStatus({ model: m })).status!;
    const units = st.applications.flatMap((x) => x.units);
    return (
      units.length === machines * UNITS_PER_MACHINE &&
      st.machines.every((x) => x.agentStatus?.current === "started" && (!live || x.agent?.connected)) &&
      units.every((u) => u.agentStatus?.current === "idle" && (!live || (u.agent?.connected && u.workload!.seq > 0n)))
    );
  });
  return model!.uuid;
}

async function migrate(src: Ferryd, sa: Admin, dst: Ferryd, da: Admin, m: string, uuid: string): Promise<Migration> {
  const { controller } = await da.ctl.getControllerInfo({});
  const { controller: source } = await sa.ctl.getControllerInfo({});
  const { token } = await da.ctl.createMigrationToken({ modelUuid: uuid, sourceControllerUuid: source!.uuid });
  const started = await sa.mig.startMigration({
    model: m,
    target: {
      controllerUuid: controller!.uuid,
      controllerName: "dst",
      addresses: [dst.address],
      caCert: dst.caPem,
      token,
    },
  });
  return waitFor(
    "migration end",
    async () => {
      const r = (await sa.mig.getMigration({ id: started.migration!.id })).migration!;
      return r.phase === MigrationPhase.DONE || r.phase === MigrationPhase.ABORTDONE ? r : undefined;
    },
    600_000,
  );
}

function totalMs(m: Migration): number {
  return timestampMs(m.endTime!) - timestampMs(m.startTime!);
}

function phaseStart(m: Migration, phase: MigrationPhase): number {
  const t = m.phaseTimings.find((x) => x.phase === phase);
  return t?.startTime ? timestampMs(t.startTime) : NaN;
}

function agentPidsUnder(dataDir: string): Promise<number[]> {
  return findAgentConfigs(dataDir).then(async (cs) => [
    ...new Set((await Promise.all(cs.map((c) => readAgentPid(c.path)))).filter((p): p is number => !!p)),
  ]);
}

/** Gaps the unit agents logged when their reports moved to the destination (ms). */
function loggedGaps(dataDir: string): number[] {
  const gaps: number[] = [];
  const root = join(dataDir, "agents");
  for (const m of readdirSync(root)) {
    for (const f of readdirSync(join(root, m)).filter((x) => x.endsWith(".log"))) {
      for (const line of readFileSync(join(root, m, f), "utf8").split("\n")) {
        if (!line.includes("accepted by another controller")) continue;
        const g = (JSON.parse(line) as { gapMs?: number }).gapMs;
        if (typeof g === "number") gaps.push(g);
      }
    }
  }
  return gaps.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);

async function pair(live: boolean, tag: string): Promise<[Ferryd, Ferryd]> {
  const flags = live
    ? ["--agents", "process", "--workload-interval", String(INTERVAL_S), "--agents-per-process", "100"]
    : ["--agents", "none"];
  const env = { FERRY_PROVISION_DELAY_MS: "20", FERRY_LOG_LEVEL: process.env.BENCH_FERRYD_LOG_LEVEL ?? "warn" };
  return Promise.all([
    startFerryd({ name: `${tag}src`, args: flags, env }),
    startFerryd({ name: `${tag}dst`, args: flags, env }),
  ]);
}

async function benchN(n: number): Promise<void> {
  const machines = Math.max(1, Math.round(n / (UNITS_PER_MACHINE + 1)));
  const agents = machines * (UNITS_PER_MACHINE + 1);

  // Baseline: the same model, controllers without agents.
  const [bsrc, bdst] = await pair(false, "b");
  let baseMs: number;
  try {
    const [ba, bb] = await Promise.all([admin(bsrc), admin(bdst)]);
    const uuid = await buildModel(ba, "fleet", machines, false);
    baseMs = totalMs(await migrate(bsrc, ba, bdst, bb, "admin/fleet", uuid));
  } finally {
    await Promise.all([bsrc.stop(), bdst.stop()]);
    bsrc.cleanup();
    bdst.cleanup();
  }

  const [src, dst] = await pair(true, "a");
  try {
    const [sa, da] = await Promise.all([admin(src), admin(dst)]);
    const uuid = await buildModel(sa, "fleet", machines, true);
    const pids = await agentPidsUnder(src.dataDir);
    // The controller with N idle agents connected (workloads reporting).
    const cpu0 = cpuSeconds(src.proc.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const cpuIdle = (cpuSeconds(src.proc.pid!) - cpu0) / ((performance.now() - t0) / 1000);
    const m = await migrate(src, sa, dst, da, "admin/fleet", uuid);
    if (m.phase !== MigrationPhase.DONE) throw new Error(`migration ended in ${MigrationPhase[m.phase]}: ${m.failure}`);
    const quiesceToSuccess = phaseStart(m, MigrationPhase.SUCCESS) - phaseStart(m, MigrationPhase.QUIESCE);
    // Every agent on the destination, and the reports queued meanwhile delivered.
    await waitFor("agents on the destination", async () => {
      const st = (await da.model.getStatus({ model: "admin/fleet" })).status!;
      const units = st.applications.flatMap((x) => x.units);
      return (
        st.machines.every((x) => x.agent?.connected) &&
        units.every((u) => u.agent?.connected && u.workload && timestampMs(u.workload.time!) > timestampMs(m.endTime!))
      );
    });
    const st = (await da.model.getStatus({ model: "admin/fleet" })).status!;
    let lost = 0;
    let twice = 0;
    let reports = 0;
    for (const u of st.applications.flatMap((x) => x.units)) {
      const seqs = (await reportSeqs(da.model, "admin/fleet", u.name)).map((r) => r.seq);
      const seen = new Set(seqs);
      reports += seqs.length;
      twice += seqs.length - seen.size;
      lost += Math.max(0, ...seqs) - seen.size;
    }
    const gaps = loggedGaps(src.dataDir);
    const rss = pids.reduce((s, p) => s + procStatus(p, "VmHWM"), 0);
    const restarted = (await agentPidsUnder(src.dataDir)).filter((p) => !pids.includes(p)).length;
    const goalGap = quiesceToSuccess + 2 * INTERVAL_S * 1000;
    console.log(
      [
        `agents ${String(agents).padStart(5)} (${machines} machines, ${pids.length} processes)`,
        `migration ${(totalMs(m) / 1000).toFixed(2)} s vs ${(baseMs / 1000).toFixed(2)} s without agents (x${(totalMs(m) / baseMs).toFixed(2)})`,
        `QUIESCE->SUCCESS ${(quiesceToSuccess / 1000).toFixed(2)} s`,
        `report gap p50 ${(pct(gaps, 0.5) / 1000).toFixed(2)} s max ${(pct(gaps, 1) / 1000).toFixed(2)} s (goal <= ${(goalGap / 1000).toFixed(2)} s; ${gaps.length} units)`,
        `reports ${reports}, lost ${lost}, twice ${twice}`,
        `agent RSS ${rss.toFixed(0)} MiB peak in all`,
        `controller CPU idle ${(cpuIdle * 100).toFixed(1)}%`,
        `agent processes restarted ${restarted}`,
      ].join(" | "),
    );
    console.log(
      `  phases: ${m.phaseTimings
        .filter((t) => t.endTime)
        .map(
          (t) =>
            `${MigrationPhase[t.phase]} ${((timestampMs(t.endTime!) - timestampMs(t.startTime!)) / 1000).toFixed(2)} s`,
        )
        .join(", ")}`,
    );
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
    await killAgentsUnder(src.dataDir);
    if (process.env.BENCH_KEEP) {
      writeFileSync(join(src.dataDir, "ferryd.log"), src.output());
      writeFileSync(join(dst.dataDir, "ferryd.log"), dst.output());
      console.log(`  kept: ${src.dataDir} ${dst.dataDir}`);
    } else {
      src.cleanup();
      dst.cleanup();
    }
  }
}

async function main(): Promise<void> {
  console.log(`bench/agents: ${UNITS_PER_MACHINE} units per machine, workload reports every ${INTERVAL_S} s`);
  for (const n of COUNTS) await benchN(n);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
