// Agents during a migration (migration.md §6), between two real controllers:
// two simulated machine agents log in to the source, watch the migration,
// report QUIESCE and VALIDATION (after logging in to the destination with
// their own credentials), and in SUCCESS switch to the destination. The
// worker waits for their reports; a failed report aborts the migration.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../../gen/ts/ferry/v1/agent_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { SimulatedAgent } from "../../src/agent/agent.js";
import { hashPassword } from "../../src/domain/credentials.js";
import { clientFor, withStoreOf } from "../helpers/ferryd.js";
import { failure, migrate, MigrationPhase, startCtl, waitFor, waitPhase, waitSettled, type Ctl } from "./harness.js";

let src: Ctl;
let dst: Ctl;
const agents: SimulatedAgent[] = [];

beforeAll(async () => {
  [src, dst] = await Promise.all([startCtl("src"), startCtl("dst")]);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all([src?.d.stop(), dst?.d.stop()]);
  src?.d.cleanup();
  dst?.d.cleanup();
});

/** A model with two machines whose agents have passwords (set through the store). */
async function modelWithAgents(
  name: string,
  on: Ctl = src,
): Promise<{ uuid: string; passwords: Record<string, string> }> {
  const src = on;
  const { model } = await src.model.createModel({ name });
  await src.model.addMachines({ model: `admin/${name}`, count: 2 });
  await waitSettled(src, `admin/${name}`);
  const passwords = { "machine-0": `${name}-pw-0`, "machine-1": `${name}-pw-1` };
  const hashes = Object.fromEntries(
    await Promise.all(Object.entries(passwords).map(async ([tag, pw]) => [tag, await hashPassword(pw)] as const)),
  );
  await withStoreOf(src.d, (store) =>
    store.write(async (tx) => {
      for (const [tag, h] of Object.entries(hashes))
        expect(await tx.agents.setPassword(model!.uuid, tag, h)).toBe(true);
    }),
  );
  return { uuid: model!.uuid, passwords };
}

function startAgents(
  uuid: string,
  passwords: Record<string, string>,
  failPhase?: "QUIESCE",
  on: Ctl = src,
): SimulatedAgent[] {
  const mine = Object.entries(passwords).map(
    ([tag, password], i) =>
      new SimulatedAgent({
        modelUuid: uuid,
        tag,
        password,
        address: on.d.address,
        caPem: on.d.caPem,
        retryMs: 100,
        failPhase: i === 1 ? failPhase : undefined,
      }),
  );
  for (const a of mine) a.start();
  agents.push(...mine);
  return mine;
}

describe("agents", () => {
  it("log in with their password only, and their token is good for AgentService only", async () => {
    const { uuid, passwords } = await modelWithAgents("auth");
    const anon = clientFor(src.d, AgentService);
    const bad = await failure(anon.agentLogin({ modelUuid: uuid, tag: "machine-0", password: "wrong-password" }));
    expect(bad.code).toBe(Code.Unauthenticated);
    const { token } = await anon.agentLogin({ modelUuid: uuid, tag: "machine-0", password: passwords["machine-0"]! });
    const asAgent = clientFor(src.d, AgentService, token);
    await asAgent.reportStatus({ status: { current: "started", message: "hello" } });
    const st = (await src.model.getStatus({ model: "admin/auth" })).status!;
    expect(st.machines.find((m) => m.id === "0")!.agentStatus?.message).toBe("hello");
    const denied = await failure(clientFor(src.d, ModelService, token).listModels({}));
    expect(denied.code).toBe(Code.PermissionDenied);
    const userOnAgent = await failure(clientFor(src.d, AgentService, src.admin).reportStatus({}));
    expect(userOnAgent.code).toBe(Code.PermissionDenied);
  });

  it("are waited for: they report, switch to the destination, and the migration is DONE", async () => {
    const { uuid, passwords } = await modelWithAgents("agents");
    const mine = startAgents(uuid, passwords);
    await waitFor("agents to connect", async () => mine.every((a) => a.connected));

    const m = await migrate(src, dst, "admin/agents", uuid);
    const done = await waitPhase(src, m.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000);
    expect(done.failure).toBe("");
    expect(done.phase).toBe(MigrationPhase.DONE);
    // The last wait (SUCCESS) recorded both agents as reported.
    expect(done.progress?.agentsReported).toBe(2);
    expect(done.progress?.agentsPending).toBe(0);
    const out = src.d.output();
    expect(out).toMatch(/migration: waiting for agent reports/);
    for (const phase of ["QUIESCE", "VALIDATION", "SUCCESS"]) {
      expect(out).toMatch(new RegExp(`migration: agents reported.*"phase":"${phase}"`));
    }

    for (const a of mine) {
      expect(a.reports.map((r) => [r.phase, r.success, r.address])).toEqual([
        ["QUIESCE", true, src.d.address],
        ["VALIDATION", true, src.d.address],
        ["SUCCESS", true, src.d.address],
      ]);
    }
    // They end up connected to the destination, where the model now lives.
    await waitFor("agents on the destination", async () =>
      mine.every((a) => a.connected && a.address === dst.d.address && a.caPem === dst.d.caPem),
    );
    await waitFor("agent status on the destination", async () => {
      const st = (await dst.model.getStatus({ model: "admin/agents" })).status!;
      return st.machines.every((x) => x.agent?.connected && x.agent.address === dst.d.address);
    });
    await Promise.all(mine.map((a) => a.stop()));
  }, 90_000);

  it("a failed QUIESCE report aborts the migration with the agent as the cause", async () => {
    const { uuid, passwords } = await modelWithAgents("failing");
    const mine = startAgents(uuid, passwords, "QUIESCE");
    await waitFor("agents to connect", async () => mine.every((a) => a.connected));
    const m = await migrate(src, dst, "admin/failing", uuid);
    const end = await waitPhase(src, m.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 60_000);
    expect(end.phase).toBe(MigrationPhase.ABORTDONE);
    expect(end.failure).toBe("agent machine-1 failed QUIESCE");
    expect(end.statusMessage).toContain("agent machine-1 failed QUIESCE");
    // The model stays on the source, usable, and the agents stay there too.
    await src.model.getStatus({ model: "admin/failing" });
    expect(mine.every((a) => a.address === src.d.address)).toBe(true);
    const gone = await dst.model.getStatus({ model: "admin/failing" }).catch((e: unknown) => ConnectError.from(e));
    expect(gone).toBeInstanceOf(ConnectError);
    await Promise.all(mine.map((a) => a.stop()));
  }, 90_000);

  it("an agent that never reports times the wait out (FERRY_MIGRATION_AGENT_TIMEOUT_MS)", async () => {
    const slow = await startCtl("slow", { env: { FERRY_MIGRATION_AGENT_TIMEOUT_MS: "700" } });
    try {
      const { uuid, passwords } = await modelWithAgents("silent", slow);
      // Connected (watching) but silent: logged in and watching, never reporting.
      const { token } = await clientFor(slow.d, AgentService).agentLogin({
        modelUuid: uuid,
        tag: "machine-0",
        password: passwords["machine-0"]!,
      });
      const ctl = new AbortController();
      // The server counts the agent as connected before it sends the first
      // message, so once that arrives the migration will wait for it.
      let registered!: () => void;
      const connected = new Promise<void>((r) => (registered = r));
      const watching = (async () => {
        for await (const _ of clientFor(slow.d, AgentService, token).watchMigrationStatus({}, { signal: ctl.signal }))
          registered();
      })().catch(() => undefined);
      await Promise.race([connected, watching]);
      const m = await migrate(slow, dst, "admin/silent", uuid);
      const end = await waitPhase(slow, m.id, [MigrationPhase.DONE, MigrationPhase.ABORTDONE], 30_000);
      ctl.abort();
      await watching;
      expect(end.phase).toBe(MigrationPhase.ABORTDONE);
      expect(end.failure).toBe("timed out waiting for agents to report QUIESCE: machine-0");
      expect(end.progress?.agentsPending).toBe(1);
      expect(end.progress?.agentsReported).toBe(0);
    } finally {
      await slow.d.stop();
      slow.d.cleanup();
    }
  }, 60_000);
});
