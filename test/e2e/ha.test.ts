// One controller on three machines: three ferryd processes on one PostgreSQL
// database (loopback), migrating to a destination on SQLite. The node that
// drives a migration is killed (SIGKILL) mid-phase: another node takes the
// migration's lease with a higher epoch and finishes it; the destination has
// the model once; a WatchMigration open on the third node saw every phase. A
// node frozen (SIGSTOP) past the lease time loses its migration to another
// node and, thawed (SIGCONT), writes nothing more for it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService } from "../../gen/ts/ferry/v1/migration_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { clientFor, startFerryd, stopAll, type Ferryd } from "../helpers/ferryd.js";
import { createDatabase, postgresAvailable } from "../helpers/postgres.js";
import { rawQuery } from "../helpers/raw-sql.js";
import { buildModel, content, FAST_ENV, login, MigrationPhase, type Ctl } from "../migration/harness.js";

const LEASE_TTL_S = "2";
const ENV = { ...FAST_ENV, FERRY_MIGRATION_TEST_DELAY_MS: "700" };

interface Node {
  d: Ferryd;
  id: string;
}

describe.runIf(postgresAvailable())("an HA controller (three nodes on one PostgreSQL)", () => {
  let url: string;
  let nodes: Node[];
  let dst: Ferryd;
  let token: string;
  let dstToken: string;
  const all: Ferryd[] = [];

  const start = async (name: string) => {
    const d = await startFerryd({ name, store: url, args: ["--lease-ttl", LEASE_TTL_S], env: ENV });
    all.push(d);
    return { d, id: readFileSync(join(d.dataDir, "node-id"), "utf8").trim() };
  };
  const ctlOf = (d: Ferryd, t = token): Ctl => ({
    d,
    uuid: "",
    admin: t,
    ctl: clientFor(d, ControllerService, t),
    model: clientFor(d, ModelService, t),
    mig: clientFor(d, MigrationService, t),
  });
  const lease = async (id: string) =>
    (
      await rawQuery<{ holder: string; epoch: number }>(
        { engine: "postgres", url },
        "SELECT holder, epoch FROM leases WHERE name = ?",
        [`migration:${id}`],
      )
    )[0];
  const holderNode = async (id: string) => {
    const l = await lease(id);
    return l && nodes.find((n) => l.holder.startsWith(`${n.id}/`));
  };
  /** Starts migrating `model` (its UUID `uuid`) from node `a` to dst, with a token from dst; the migration's id. */
  const migrateToDst = async (a: Ctl, uuid: string, model: string): Promise<string> => {
    const dstInfo = (await clientFor(dst, ControllerService).getControllerInfo({})).controller!;
    const srcInfo = (await a.ctl.getControllerInfo({})).controller!;
    const { token: migToken } = await clientFor(dst, ControllerService, dstToken).createMigrationToken({
      modelUuid: uuid,
      sourceControllerUuid: srcInfo.uuid,
    });
    const { migration } = await a.mig.startMigration({
      model,
      target: {
        controllerUuid: dstInfo.uuid,
        controllerName: "dst",
        addresses: [dst.address],
        caCert: dst.caPem,
        token: migToken,
      },
    });
    return migration!.id;
  };
  const until = async <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    url = (await createDatabase("ferry_ha")).url;
    // The first node bootstraps the controller; the others join it.
    nodes = [await start("ha")];
    nodes.push(...(await Promise.all([start("ha"), start("ha")])));
    dst = await startFerryd({ name: "dst", env: FAST_ENV });
    all.push(dst);
    // The client logs in through one node only: the token is the controller's.
    token = await login(nodes[0]!.d, "admin", nodes[0]!.d.adminPassword);
    dstToken = await login(dst, "admin", dst.adminPassword);
  }, 90_000);

  afterAll(async () => {
    for (const d of all) if (d.proc.signalCode === null && d.proc.exitCode === null) d.proc.kill("SIGCONT");
    await stopAll(all);
  });

  it("is one controller: same UUID and CA on every node, every live node's address listed", async () => {
    const infos = await Promise.all(nodes.map(async (n) => (await ctlOf(n.d).ctl.getControllerInfo({})).controller!));
    expect(new Set(infos.map((i) => i.uuid)).size).toBe(1);
    expect(new Set(infos.map((i) => i.caFingerprint)).size).toBe(1);
    expect(new Set(nodes.map((n) => n.d.caPem)).size).toBe(1);
    const want = nodes.map((n) => n.d.address).sort();
    await until("every node to list every address", async () => {
      const lists = await Promise.all(
        nodes.map(async (n) => (await ctlOf(n.d).ctl.getControllerInfo({})).controller!.apiAddresses),
      );
      return lists.every((l, i) => l[0] === nodes[i]!.d.address && [...l].sort().join() === want.join());
    });
    // A write on one node is read on another, and a user made on one logs in on another.
    await ctlOf(nodes[1]!.d).ctl.createUser({ name: "bob", password: "bob-password-1" });
    expect(await login(nodes[2]!.d, "bob", "bob-password-1")).toMatch(/./);
    // The CA key lives in the store, not in the nodes' data dirs.
    for (const n of nodes) expect(() => readFileSync(join(n.d.dataDir, "ca.key"))).toThrow();
  });

  it("survives a kill -9 of the node driving a migration: another takes over with a higher epoch", async () => {
    const a = ctlOf(nodes[0]!.d);
    const uuid = await buildModel(a, "moving");
    const before = await content(a, "admin/moving");
    const id = await migrateToDst(a, uuid, "admin/moving");
    const holder = await until("the migration's lease", () => holderNode(id));
    const watcherNode = nodes.find((n) => n !== holder)!;
    // A watch on a node that does not drive the migration: it hears of the phases through the store.
    const phases: MigrationPhase[] = [];
    const watching = (async () => {
      for await (const u of ctlOf(watcherNode.d).mig.watchMigration({ id })) {
        const p = u.migration!.phase;
        if (phases[phases.length - 1] !== p) phases.push(p);
      }
    })();
    await until("IMPORT", async () => (await a.mig.getMigration({ id })).migration!.phase === MigrationPhase.IMPORT);
    const first = (await lease(id))!;
    await holder.d.kill();
    const next = await until("another node to take the lease", async () => {
      const l = await lease(id);
      return l && !l.holder.startsWith(`${holder.id}/`) && l;
    });
    expect(next.epoch).toBeGreaterThan(first.epoch);
    await watching;
    const w = ctlOf(watcherNode.d);
    const end = (await w.mig.getMigration({ id })).migration!;
    expect(MigrationPhase[end.phase]).toBe("DONE");
    expect(phases.map((p) => MigrationPhase[p])).toEqual([
      "QUIESCE",
      "IMPORT",
      "PROCESSRELATIONS",
      "VALIDATION",
      "SUCCESS",
      "LOGTRANSFER",
      "REAP",
      "DONE",
    ]);
    // The destination has the model, once, exactly as it was.
    const dc = ctlOf(dst, dstToken);
    const listed = (await dc.model.listModels({ all: true })).models.filter((m) => m.name === "moving");
    expect(listed).toHaveLength(1);
    expect(await content(dc, "admin/moving")).toEqual(before);
    nodes = nodes.filter((n) => n !== holder);
  }, 90_000);

  it("a node frozen past the lease time loses its migration, and once thawed writes nothing more for it", async () => {
    const a = ctlOf(nodes[0]!.d);
    const uuid = await buildModel(a, "frozen");
    const id = await migrateToDst(a, uuid, "admin/frozen");
    const holder = await until("the migration's lease", () => holderNode(id));
    const other = nodes.find((n) => n !== holder)!;
    await until("IMPORT", async () => (await a.mig.getMigration({ id })).migration!.phase === MigrationPhase.IMPORT);
    holder.d.proc.kill("SIGSTOP");
    const taken = await until("another node to take the lease", async () => {
      const l = await lease(id);
      return l && l.holder.startsWith(`${other.id}/`) && l;
    });
    const frozenAt = holder.d.output().length;
    holder.d.proc.kill("SIGCONT");
    const end = await until(
      "DONE",
      async () => {
        const m = (await ctlOf(other.d).mig.getMigration({ id })).migration!;
        return m.phase === MigrationPhase.DONE && m;
      },
      60_000,
    );
    expect(end.failure).toBe("");
    // The thawed node noticed, stopped the task, and recorded nothing for it after that.
    await until("the thawed node to notice", async () => holder.d.output().slice(frozenAt).includes("lease lost"));
    const after = holder.d
      .output()
      .slice(frozenAt)
      .split("\n")
      .filter((l) => l.includes(id));
    expect(after.some((l) => l.includes("another node drives this migration now"))).toBe(true);
    expect(after.filter((l) => /"msg":"migration: phase"/.test(l))).toEqual([]);
    expect((await lease(id))!.epoch).toBeGreaterThanOrEqual(taken.epoch);
    expect((await lease(id))!.holder.startsWith(`${other.id}/`)).toBe(true);
  }, 90_000);
});
