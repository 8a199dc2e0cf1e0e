// An operator's HA controller through the CLI: bootstrap on PostgreSQL,
// enable-ha -n 3, see the nodes (controllers, show-controller), keep working
// when two of the three nodes are killed (the CLI moves on to the next
// address), a second client that logged in through one node knows them all,
// and kill-controller stops every node.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { processAlive } from "../../src/cli/daemon.js";
import { createDatabase, postgresAvailable } from "../helpers/postgres.js";
import { buildOnce, eventually, ferry, ok, tempHome } from "./harness.js";

interface NodeDoc {
  id: string;
  addresses: string[];
  health: string;
  pid?: number;
  "data-dir"?: string;
}

describe.runIf(postgresAvailable())("an HA controller through the CLI", () => {
  const home = tempHome("ferry-cli-ha-");
  const home2 = tempHome("ferry-cli-ha2-");
  const env = { FERRY_ADMIN_PASSWORD: "admin-secret-pw", FERRY_LEASE_TTL: "2", FERRY_PROVISION_DELAY_MS: "20" };
  let url: string;
  let pids: number[] = [];

  beforeAll(async () => {
    buildOnce();
    url = (await createDatabase("ferry_cliha")).url;
  });

  afterAll(async () => {
    await ferry(home, ["kill-controller", "prod", "-y"]);
    for (const pid of pids) if (await processAlive(pid)) process.kill(pid, "SIGKILL");
  });

  const nodes = async (): Promise<NodeDoc[]> =>
    (parse((await ok(home, ["show-controller", "prod"])).stdout) as { prod: { nodes: NodeDoc[] } }).prod.nodes;

  it("bootstraps on PostgreSQL and grows to three nodes", async () => {
    const boot = await ok(home, ["bootstrap", "localhost", "prod", "--api-port", "0", "--store", url], { env });
    expect(boot.stdout).toContain("ferry enable-ha");
    const ha = await ok(home, ["enable-ha", "-n", "3"], { env });
    expect(ha.stdout).toMatch(/now has 3 nodes/);
    const rec = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.prod;
    expect(rec["api-endpoints"]).toHaveLength(3);
    expect(rec.nodes).toHaveLength(2);
    // The URL is shown without its password, and never kept in the readable controllers.yaml.
    expect(rec.store).toMatch(/^postgres:\/\//);
    const list = await ok(home, ["controllers"]);
    expect(list.stdout).toMatch(/prod\*.*3\/3 up/);
    // Listed by the controller as soon as enable-ha is done.
    const all = await nodes();
    expect(all.map((n) => n.health)).toEqual(["up", "up", "up"]);
    pids = all.map((n) => n.pid!).filter(Boolean);
    expect(pids).toHaveLength(3);
    const doc = parse((await ok(home, ["show-controller", "--format", "json"])).stdout).prod;
    expect(doc.store).toMatch(/^postgres:\/\//);
    expect(doc["ca-fingerprint"]).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("a client that logged in through one node knows every node's address", async () => {
    const first = (await nodes())[0]!.addresses[0]!;
    await ok(home2, ["login", first, "-c", "prod", "--trust"], { input: "admin-secret-pw\n" });
    const rec = parse(readFileSync(join(home2, "controllers.yaml"), "utf8")).controllers.prod;
    expect([...rec["api-endpoints"]].sort()).toEqual((await nodes()).map((n) => n.addresses[0]).sort());
  });

  it("keeps working with two of three nodes killed: the CLI moves on to the third", async () => {
    await ok(home, ["add-model", "web"]);
    await ok(home, ["deploy", "postgresql", "-n", "2"]);
    const rec = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.prod;
    const order: string[] = rec["api-endpoints"];
    const byAddress = new Map((await nodes()).map((n) => [n.addresses[0]!, n.pid!]));
    // The two the client tries first.
    for (const a of order.slice(0, 2)) process.kill(byAddress.get(a)!, "SIGKILL");
    const st = await ok(home, ["status", "--format", "json"]);
    expect(Object.keys(JSON.parse(st.stdout).applications)).toEqual(["postgresql"]);
    // The survivor runs the model's simulated agents now (it takes the dead node's lease over).
    await ok(home, ["add-unit", "postgresql"]);
    await eventually(async () => {
      const s = JSON.parse((await ok(home, ["status", "--format", "json"])).stdout);
      const units = Object.values(s.applications.postgresql.units) as { "agent-status": { current: string } }[];
      return (units.length === 3 && units.every((u) => u["agent-status"].current === "idle")) || undefined;
    }, 30_000);
    // The client put the address that answered first.
    const after = parse(readFileSync(join(home, "controllers.yaml"), "utf8")).controllers.prod;
    expect(after["api-endpoints"][0]).toBe(order[2]);
    // The second client, knowing the same addresses, gets through too.
    expect((await ok(home2, ["models"])).stdout).toContain("web");
  }, 60_000);

  it("takes the store from FERRY_STORE, and never lets it move an embedded controller", async () => {
    const home3 = tempHome("ferry-cli-ha3-");
    const other = (await createDatabase("ferry_clienv")).url;
    const withStore = { ...env, FERRY_STORE: other };
    try {
      await ok(home3, ["bootstrap", "localhost", "fromenv", "--api-port", "0"], { env: withStore });
      await ok(home3, ["bootstrap", "localhost", "plain", "--api-port", "0", "--store", "sqlite"], { env: withStore });
      const docs = parse((await ok(home3, ["show-controller", "fromenv", "--format", "json"])).stdout);
      expect(docs.fromenv.store).toMatch(/^postgres:\/\//);
      const plain = parse((await ok(home3, ["show-controller", "plain", "--format", "json"])).stdout);
      expect(plain.plain.store).toBe("sqlite");
    } finally {
      await ferry(home3, ["kill-controller", "fromenv", "-y"]);
      await ferry(home3, ["kill-controller", "plain", "-y"]);
    }
  });

  it("kill-controller stops every node it started", async () => {
    const r = await ok(home, ["kill-controller", "prod", "-y"]);
    expect(r.stdout).toMatch(/destroyed \(3 nodes stopped\)/);
    expect(r.stderr).toContain("left in place");
    for (const pid of pids) expect(await processAlive(pid)).toBe(false);
    expect((await ok(home, ["controllers", "--format", "json"])).stdout.trim()).toBe('{"controllers":{}}');
  });
});
