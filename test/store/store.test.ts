// The Store's transactions on every engine: writers that await between
// statements never share a transaction, a failed write leaves nothing, reads
// see committed states only, watchers hear of commits (and only of them),
// and a write fenced by a lease fails once the lease moved.
import { setImmediate as nextTick } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaseLost, type Repos, type Store } from "../../src/store/index.js";
import { rawQuery } from "../helpers/raw-sql.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

const base = { cloud: "localhost", cloudType: "lxd", region: "localhost", agentVersion: "1.0.0" };

describe.each(ENGINES)("store transactions on %s", (engine) => {
  let t: TestStore;
  let store: Store;
  beforeEach(async () => {
    t = await openTestStore(engine);
    store = t.store;
  });
  afterEach(() => t.cleanup());

  const names = async () =>
    (await store.read((tx) => tx.models.listPage({ user: "", all: true, limit: 100 }))).map((m) => m.name).sort();
  const create = (tx: Repos, name: string) => tx.models.create({ ...base, name, owner: "admin" });

  it("keeps interleaved writers apart: one's rollback never takes the other's rows", async () => {
    const order: string[] = [];
    const failing = store.write(async (tx) => {
      order.push("a:begin");
      await create(tx, "a1");
      // A real turn of the event loop: other calls' statements get their chance here.
      await nextTick();
      await nextTick();
      await create(tx, "a2");
      order.push("a:end");
      throw new Error("a changes its mind");
    });
    const other = store.write(async (tx) => {
      order.push("b:begin");
      await create(tx, "b1");
      await nextTick();
      await create(tx, "b2");
      order.push("b:end");
    });
    await expect(failing).rejects.toThrow("a changes its mind");
    await other;
    expect(await names()).toEqual(["b1", "b2"]);
    if (engine === "sqlite") {
      // One writer connection: the second transaction starts when the first has ended.
      expect(order).toEqual(["a:begin", "a:end", "b:begin", "b:end"]);
    }
  });

  it("many concurrent writers each commit all of their rows or none", async () => {
    const writes = Array.from({ length: 12 }, (_, i) =>
      store.write(async (tx) => {
        await create(tx, `m${i}-x`);
        await nextTick();
        await create(tx, `m${i}-y`);
        if (i % 3 === 0) throw new Error(`writer ${i} fails`);
      }),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(4);
    const expected = Array.from({ length: 12 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .flatMap((i) => [`m${i}-x`, `m${i}-y`])
      .sort();
    expect(await names()).toEqual(expected);
  });

  it("a read sees the last committed state, never a write in progress", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    const writing = store.write(async (tx) => {
      await create(tx, "pending");
      reached();
      await gate;
    });
    await inside;
    expect(await names()).toEqual([]);
    release();
    await writing;
    expect(await names()).toEqual(["pending"]);
  });

  it("a one-statement read that issues more statements still reads one snapshot", async () => {
    let runs = 0;
    const list = (tx: Repos) => tx.models.listPage({ user: "", all: true, limit: 100 });
    const out = await store.read(
      async (tx) => {
        runs++;
        const before = (await list(tx)).map((m) => m.name);
        // Another connection commits between this read's statements.
        if (runs === 1) await store.write((w) => create(w, "late"));
        let after: string[] | undefined;
        try {
          after = (await list(tx)).map((m) => m.name);
        } catch {
          // Swallowing the engine's stop must not let this attempt's answer out.
          after = undefined;
        }
        return { before, after };
      },
      { oneStatement: true },
    );
    expect(out.after).toEqual(out.before);
    // PostgreSQL stopped the first attempt at its second statement and ran it
    // again in a transaction; SQLite's snapshot began with the first one.
    expect(runs).toBe(engine === "postgres" ? 2 : 1);
    expect(out.before).toEqual(engine === "postgres" ? ["late"] : []);
    // A single statement is answered as it is.
    expect(
      await store.read((tx) => tx.models.byNameFor("admin", "late", "admin"), { oneStatement: true }),
    ).toMatchObject({ model: { name: "late" }, granted: "admin" });
  });

  it.runIf(engine === "postgres")("keeps its connections when a caller's function throws", async () => {
    // The store's own connections to its database (this query's is not one of them).
    const backends = async () =>
      (
        await rawQuery<{ pid: number }>(
          t.spec,
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN%'",
        )
      )
        .map((r) => r.pid)
        .sort();
    await store.read((tx) => tx.models.byName("admin", "nothing"));
    const before = await backends();
    for (let i = 0; i < 5; i++) {
      await expect(
        store.read(async (tx) => {
          await tx.models.byName("admin", "nothing");
          throw new Error("not found, says the caller");
        }),
      ).rejects.toThrow("says the caller");
      await expect(
        store.write(async (tx) => {
          await create(tx, `gone-${i}`);
          throw new Error("changed its mind");
        }),
      ).rejects.toThrow("changed its mind");
    }
    // The same pooled connections served every call: none was closed and replaced.
    expect(await backends()).toEqual(before);
  });

  it("tells watchers about commits, and nothing about a rolled-back write", async () => {
    const seen: string[] = [];
    store.changes.subscribeAll((c) => seen.push(`${c.modelUuid.slice(0, 4)}:${c.kinds.join(",")}`));
    const m = await store.write((tx) => create(tx, "watched"));
    expect(seen).toContain(`${m.uuid.slice(0, 4)}:status,log`);
    seen.length = 0;
    await store
      .write(async (tx) => {
        await tx.machines.insert(m.uuid, 1, { name: "ubuntu", channel: "24.04" }, 1);
        throw new Error("no");
      })
      .catch(() => undefined);
    expect(seen).toEqual([]);
  });

  it("refuses a fenced write once the lease moved to another holder, and writes nothing", async () => {
    const a = (await store.write((tx) => tx.leases.acquire("work:1", "node-a/1", 60_000)))!;
    expect(a.epoch).toBe(1);
    await store.write((tx) => create(tx, "while-held"), { fence: a });
    // Node a stops renewing; once its lease expired, node b takes over with a higher epoch.
    await store.write((tx) => tx.leases.release("work:1", "node-a/1"));
    const b = (await store.write((tx) => tx.leases.acquire("work:1", "node-b/1", 60_000)))!;
    expect(b.epoch).toBe(2);
    const late = await store
      .write((tx) => create(tx, "too-late"), { fence: a })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(late).toBeInstanceOf(LeaseLost);
    expect(await names()).toEqual(["while-held"]);
    // b's writes pass; a cannot take the lease back while b holds it.
    await store.write((tx) => create(tx, "by-b"), { fence: b });
    expect(await store.write((tx) => tx.leases.acquire("work:1", "node-a/1", 60_000))).toBeUndefined();
  });

  it("lets a restarted node take its own leases back at once, with a new epoch", async () => {
    const first = (await store.write((tx) => tx.leases.acquire("work:2", "node-a/inc1", 60_000, "node-a/")))!;
    const again = (await store.write((tx) => tx.leases.acquire("work:2", "node-a/inc2", 60_000, "node-a/")))!;
    expect(again.epoch).toBe(first.epoch + 1);
    expect(await store.write((tx) => tx.leases.acquire("work:2", "node-b/x", 60_000, "node-b/"))).toBeUndefined();
    // Renewing keeps the epoch; renewing a lease someone else holds does nothing.
    const renewed = await store.write((tx) => tx.leases.renewAll("node-a/inc2", 60_000));
    expect(renewed.map((l) => [l.name, l.epoch])).toEqual([["work:2", again.epoch]]);
    expect(await store.write((tx) => tx.leases.renewAll("node-a/inc1", 60_000))).toEqual([]);
  });
});
