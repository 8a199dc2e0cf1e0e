import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/stores.js";
import { Code, failure, startHarness, waitFor, type Harness } from "./model-harness.js";

describe.each(ENGINES)("on %s", (engine) => {
  let h: Harness;
  let uuid: string;
  beforeEach(async () => {
    h = await startHarness({ engine, delayMs: 10, watchIntervalMs: 20 });
    uuid = (await h.as("alice").createModel({ name: "web" })).model!.uuid;
  });
  afterEach(() => h.close());

  describe("WatchStatus", () => {
    it("sends the status at once, then after each change, and cleans up when cancelled", async () => {
      const ac = new AbortController();
      const stream = h.as("alice").watchStatus({ model: "web" }, { signal: ac.signal });
      const it = stream[Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.value.status.machines).toHaveLength(0);
      expect(h.changes.listenerCount(uuid)).toBe(1);

      await h.as("alice").addMachines({ model: "web", count: 2 });
      const seen: string[] = [];
      // Updates keep coming as the simulator provisions, until both are started.
      for (;;) {
        const next = await it.next();
        const ms = next.value.status.machines;
        seen.push(ms.map((m: { agentStatus?: { current: string } }) => m.agentStatus?.current).join(","));
        if (
          ms.length === 2 &&
          ms.every((m: { agentStatus?: { current: string } }) => m.agentStatus?.current === "started")
        )
          break;
      }
      expect(seen[seen.length - 1]).toBe("started,started");

      ac.abort();
      await expect(it.next()).rejects.toThrow();
      await waitFor(async () => h.changes.listenerCount(uuid) === 0);
    });

    it("coalesces bursts of changes", async () => {
      const ac = new AbortController();
      const h2 = await startHarness({ delayMs: 100000, watchIntervalMs: 200 });
      try {
        await h2.as("alice").createModel({ name: "web" });
        const it = h2.as("alice").watchStatus({ model: "web" }, { signal: ac.signal })[Symbol.asyncIterator]();
        await it.next();
        for (let i = 0; i < 10; i++) await h2.as("alice").addMachines({ model: "web" });
        // The burst arrives coalesced (normally as one update), not one update per change...
        let updates = 0;
        let upd;
        do {
          upd = await it.next();
          updates++;
        } while (upd.value.status.machines.length < 10);
        expect(updates).toBeLessThanOrEqual(3);
        // ...and no further update follows, since nothing changed after it.
        const extra = await Promise.race([
          it.next().then(() => "update"),
          new Promise((r) => setTimeout(() => r("quiet"), 400)),
        ]);
        expect(extra).toBe("quiet");
        ac.abort();
      } finally {
        await h2.close();
      }
    });

    it("ends when the model is deleted", async () => {
      const stream = h.as("alice").watchStatus({ model: "web" });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      await h.as("alice").deleteModel({ model: "web" });
      expect((await it.next()).done).toBe(true);
      await waitFor(async () => h.changes.listenerCount(uuid) === 0);
    });

    it("refuses users without access", async () => {
      const err = await failure(async () => {
        for await (const _ of h.as("carol").watchStatus({ model: uuid })) break;
      });
      expect(err.code).toBe(Code.NotFound);
    });
  });

  describe("StreamStatus", () => {
    it("returns what GetStatus returns, as one part for a small model", async () => {
      await h.as("alice").deployApplication({ model: "web", charm: "postgresql", application: "pg", numUnits: 2 });
      // Settled first: the simulated agents must not change it between the two reads.
      const whole = await waitFor(async () => {
        const st = (await h.as("alice").getStatus({ model: "web" })).status!;
        const units = st.applications.flatMap((a) => a.units);
        const settled =
          units.length === 2 &&
          units.every((u) => u.agentStatus?.current === "idle") &&
          st.relations.every((r) => r.status?.current === "joined");
        return settled && st;
      });
      const parts = [];
      for await (const res of h.as("alice").streamStatus({ model: "web" })) parts.push(res.status!);
      expect(parts).toHaveLength(1);
      expect({ ...parts[0], time: undefined }).toEqual({ ...whole, time: undefined });
      expect(parts[0]!.applications[0]!.units.map((u) => u.name)).toEqual(["pg/0", "pg/1"]);
    });

    it("refuses users without access, and unknown models", async () => {
      const denied = await failure(async () => {
        for await (const _ of h.as("carol").streamStatus({ model: uuid })) break;
      });
      expect(denied.code).toBe(Code.NotFound);
      const unknown = await failure(async () => {
        for await (const _ of h.as("alice").streamStatus({ model: "no-such-model" })) break;
      });
      expect(unknown.code).toBe(Code.NotFound);
    });
  });

  describe("StreamLogs", () => {
    it("sends history with limit and level, then follows new entries", async () => {
      const alice = h.as("alice");
      await alice.deployApplication({ model: "web", charm: "ubuntu" });
      await waitFor(
        async () => (await alice.getStatus({ model: "web" })).status!.applications[0]!.status?.current === "active",
      );

      const all: string[] = [];
      for await (const res of alice.streamLogs({ model: "web" })) all.push(...res.entries.map((e) => e.message));
      expect(all[0]).toBe('model "alice/web" created');
      expect(all).toContain("unit ubuntu/0 is active (leader)");

      const last2: bigint[] = [];
      for await (const res of alice.streamLogs({ model: "web", limit: 2 }))
        last2.push(...res.entries.map((e) => e.seq));
      expect(last2).toHaveLength(2);
      expect(last2[0]! < last2[1]!).toBe(true);

      const warnings: string[] = [];
      for await (const res of alice.streamLogs({ model: "web", level: "warning" }))
        warnings.push(...res.entries.map((e) => e.message));
      expect(warnings).toEqual([]);
      expect(
        (
          await failure(async () => {
            for await (const _ of alice.streamLogs({ model: "web", level: "loud" })) break;
          })
        ).code,
      ).toBe(Code.InvalidArgument);

      const ac = new AbortController();
      const it = alice
        .streamLogs({ model: "web", afterSeq: last2[1]!, follow: true }, { signal: ac.signal })
        [Symbol.asyncIterator]();
      const pending = it.next();
      await alice.addMachines({ model: "web" });
      const got = await pending;
      expect(got.value.entries[0].message).toMatch(/^machine 1 added/);
      const more = await it.next();
      expect(more.value.entries[0].message).toMatch(/^machine 1 started/);
      ac.abort();
      await expect(it.next()).rejects.toThrow();
      await waitFor(async () => h.changes.listenerCount(uuid) === 0);
    });
  });
});
