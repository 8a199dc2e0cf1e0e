// Group commit (the agents' small writes sharing transactions) on every
// engine: a burst costs a few transactions, each job gets its own answer, a
// job's refusal fails only that job, and a job whose statement fails takes
// nothing of the others with it and leaves nothing of itself.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/services/group-commit.js";
import type { Repos, Store } from "../../src/store/index.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

describe.each(ENGINES)("group commit on %s", (engine) => {
  let t: TestStore;
  let writes = 0;
  let counting: Store;

  beforeEach(async () => {
    t = await openTestStore(engine);
    writes = 0;
    const s = t.store;
    counting = Object.assign(Object.create(s) as Store, {
      write: <T>(fn: (tx: Repos) => Promise<T>) => {
        writes++;
        return s.write(fn);
      },
    });
  });

  afterEach(async () => {
    await t.cleanup();
  });

  const names = async () =>
    (await t.store.read((tx) => tx.models.listPage({ user: "admin", all: true, limit: 1000 })))
      .map((m) => m.name)
      .sort((a, b) => a.localeCompare(b));

  it("writes a burst in a few transactions, answering each job with its own result", async () => {
    const g = new GroupCommit(counting);
    const got = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        g.run(async (tx) => (await tx.models.create({ ...base, name: `m${i}`, owner: "admin" })).name),
      ),
    );
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(await names()).toHaveLength(50);
    expect(writes).toBeLessThanOrEqual(2);
  });

  it("a refusal fails only its own job", async () => {
    const g = new GroupCommit(counting);
    const results = await Promise.allSettled([
      g.run((tx) => tx.models.create({ ...base, name: "a", owner: "admin" })),
      g.run(async () => {
        throw new ConnectError("model migrating", Code.Unavailable);
      }),
      g.run((tx) => tx.models.create({ ...base, name: "b", owner: "admin" })),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectError);
    expect(await names()).toEqual(["a", "b"]);
    expect(writes).toBe(1);
  });

  it("a failed statement fails only its job, which leaves nothing behind", async () => {
    await t.store.write((tx) => tx.models.create({ ...base, name: "taken", owner: "admin" }));
    const g = new GroupCommit(counting);
    const results = await Promise.allSettled([
      g.run((tx) => tx.models.create({ ...base, name: "a", owner: "admin" })),
      g.run(async (tx) => {
        await tx.models.create({ ...base, name: "half", owner: "admin" });
        await tx.models.create({ ...base, name: "taken", owner: "admin" }); // unique violation
      }),
      g.run((tx) => tx.models.create({ ...base, name: "b", owner: "admin" })),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await names()).toEqual(["a", "b", "taken"]);
  });

  it("a lone job waits for no one", async () => {
    const g = new GroupCommit(counting);
    const m = await g.run((tx) => tx.models.create({ ...base, name: "solo", owner: "admin" }));
    expect(m.name).toBe("solo");
    expect(writes).toBe(1);
  });
});
