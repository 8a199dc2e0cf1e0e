// Live agents through the CLI, as the README's migration section uses them:
// two bootstrapped controllers (live agents are bootstrap's default),
// wait-for, migrate --wait with the agents' counts, show-machine/show-unit on
// the destination, the workload's history there, and kill-controller leaving
// no agent process behind.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentProcessesUnder, expectContiguous, killAgentsUnder } from "../helpers/agents.js";
import { buildOnce, ferry, ok, tempHome } from "./harness.js";

let home: string;
const env = { FERRY_ADMIN_PASSWORD: "agents-cli-pw", FERRY_AGENT_INSTALL_MS: "50" };

beforeAll(async () => {
  buildOnce();
  home = tempHome("ferry-agents-cli-");
  for (const c of ["src", "dst"])
    await ok(home, ["bootstrap", "localhost", c, "--api-port", "0", "--workload-interval", "0.2"], { env });
}, 60_000);

afterAll(async () => {
  for (const c of ["src", "dst"]) await ferry(home, ["kill-controller", c, "-y"]);
  await killAgentsUnder(home);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe("live agents through the CLI", () => {
  it("wait-for, migrate --wait with agent counts, the agents on dst, and kill-controller leaves none", async () => {
    await ok(home, ["switch", "src"]);
    await ok(home, ["add-model", "web"]);
    await ok(home, ["deploy", "postgresql", "-n", "2"]);
    await ok(home, ["deploy", "wordpress"]);
    await ok(home, ["integrate", "wordpress", "postgresql"]);
    const waited = await ok(home, ["wait-for", "model", "web", "--timeout", "60s"]);
    expect(waited.stdout).toMatch(/^Model "web" has settled/);
    const before = JSON.parse((await ok(home, ["show-unit", "wordpress/0", "--format", "json"])).stdout)["wordpress/0"];
    expect(before.agent).toMatchObject({ connected: true, controller: "src" });
    const pids = agentProcessesUnder(home);
    expect(pids.length).toBeGreaterThan(0);

    const r = await ok(home, ["migrate", "web", "dst", "--wait"], { timeoutMs: 90_000 });
    expect(r.stdout).toMatch(/^QUIESCE: quiescing, waiting for agents to report back \(6 of 6 agents reported\)$/m);
    expect(r.stdout).toMatch(/^VALIDATION: validating, waiting for agents to report back \(6 of 6 agents reported\)$/m);
    expect(r.stdout).toMatch(/^SUCCESS: agents switched: 6 of 6$/m);

    const machine = JSON.parse((await ok(home, ["show-machine", "0", "-m", "dst:web", "--format", "json"])).stdout)
      .machines["0"];
    expect(machine.agent).toMatchObject({ connected: true, controller: "dst" });
    const mig = JSON.parse((await ok(home, ["show-migration", "src:web", "--format", "json"])).stdout);
    expect(mig.progress.agents).toEqual({ total: 6, reported: 6, pending: 0, switched: 6 });
    expect(mig.progress.summary).toContain("6 of 6 agents reported, agents switched: 6 of 6");
    // The same processes, and the workload's reports on dst without a gap.
    expect(agentProcessesUnder(home).sort()).toEqual(pids.sort());
    const history = JSON.parse(
      (
        await ok(home, [
          "status-history",
          "wordpress/0",
          "-m",
          "dst:web",
          "--type",
          "report",
          "-n",
          "10000",
          "--format",
          "json",
        ])
      ).stdout,
    ) as { entries: { seq: number }[] };
    expectContiguous(
      "wordpress/0",
      history.entries.map((e) => e.seq),
    );
    expect(history.entries.length).toBeGreaterThan(before["workload-report"].seq);
    const log = (await ok(home, ["debug-log", "-m", "dst:web", "-n", "50", "--no-tail"])).stdout;
    expect(log).toMatch(/migration .*: phase VALIDATION/);

    await ok(home, ["kill-controller", "src", "-y"]);
    // The agents follow dst now: killing src leaves them running.
    const left = agentProcessesUnder(home);
    if (left.length !== pids.length) {
      const { execFileSync } = await import("node:child_process");
      console.log(
        execFileSync(
          "sh",
          [
            "-c",
            `ps -eo pid,args | grep ferry-agent; tail -n 5 ${home}/controllers/src/agents/*/*.log; cat ${home}/controllers/src/agents/*/*.pid`,
          ],
          { encoding: "utf8" },
        ),
      );
      console.log("before", pids, "after", left);
    }
    expect(left.length).toBe(pids.length);
    const killed = await ok(home, ["kill-controller", "dst", "-y"]);
    expect(killed.stderr).toMatch(/Stopped \d+ agent process/);
    expect(agentProcessesUnder(home)).toEqual([]);
  }, 150_000);
});
