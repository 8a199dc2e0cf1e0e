// followMigration keeps following across a source controller restart (the
// stream fails or ends early, then the controller comes back), and gives up
// on real errors and on an outage longer than allowed.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { MigrationSchema, type Migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { FerryClients } from "../../src/client/connect.js";
import { followMigration, isCommittedPhase, phaseName } from "../../src/client/migration.js";

const m = (phase: MigrationPhase, statusMessage = "") => create(MigrationSchema, { id: "x:0", phase, statusMessage });

/** Clients whose WatchMigration plays one script per call. */
function fakeClients(scripts: (Migration | Error | "end")[][]): { clients: FerryClients; calls: () => number } {
  let call = 0;
  const watchMigration = async function* () {
    const script = scripts[Math.min(call++, scripts.length - 1)]!;
    for (const step of script) {
      if (step === "end") return;
      if (step instanceof Error) throw step;
      yield { migration: step };
    }
  };
  return { clients: { migration: { watchMigration } } as unknown as FerryClients, calls: () => call };
}

describe("followMigration", () => {
  it("reconnects after the stream breaks or ends early and returns the terminal migration", async () => {
    const down = new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable);
    const { clients, calls } = fakeClients([
      [m(MigrationPhase.QUIESCE), m(MigrationPhase.IMPORT), down],
      [down],
      [m(MigrationPhase.IMPORT), "end"], // the controller drained the stream on shutdown
      [m(MigrationPhase.VALIDATION), m(MigrationPhase.DONE, "done")],
    ]);
    const seen: string[] = [];
    let retries = 0;
    const end = await followMigration(clients, "x:0", (u) => seen.push(phaseName(u.phase)), {
      retryDelayMs: 1,
      onRetry: () => retries++,
    });
    expect(end.statusMessage).toBe("done");
    expect(seen).toEqual(["QUIESCE", "IMPORT", "IMPORT", "VALIDATION", "DONE"]);
    expect(calls()).toBe(4);
    expect(retries).toBe(2);
  });

  it("does not retry an error that is not about reachability", async () => {
    const { clients, calls } = fakeClients([[new ConnectError("migration not found", Code.NotFound)]]);
    await expect(followMigration(clients, "x:0", () => undefined, { retryDelayMs: 1 })).rejects.toThrow(
      "migration not found",
    );
    expect(calls()).toBe(1);
  });

  it("gives up after the allowed outage", async () => {
    const { clients } = fakeClients([[new ConnectError("connect ECONNREFUSED", Code.Unavailable)]]);
    await expect(
      followMigration(clients, "x:0", () => undefined, { retryDelayMs: 5, maxOutageMs: 30 }),
    ).rejects.toThrow(/ECONNREFUSED|lost contact/);
  });

  it("stops when asked", async () => {
    const ctl = new AbortController();
    const { clients } = fakeClients([[new ConnectError("unavailable", Code.Unavailable)]]);
    const p = followMigration(clients, "x:0", () => undefined, { retryDelayMs: 1000, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 10);
    await expect(p).rejects.toThrow();
  });
});

describe("phases", () => {
  it("names phases and knows the point of no return", () => {
    expect(phaseName(MigrationPhase.ABORTDONE)).toBe("ABORTDONE");
    expect(phaseName(MigrationPhase.UNSPECIFIED)).toBe("");
    expect(isCommittedPhase(MigrationPhase.VALIDATION)).toBe(false);
    expect(isCommittedPhase(MigrationPhase.SUCCESS)).toBe(true);
    expect(isCommittedPhase(MigrationPhase.ABORTDONE)).toBe(false);
  });
});
