// Migration rows as API messages: no token, phases and timings, the estimate.
import { describe, expect, it } from "vitest";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { estimateRemainingMs, phaseFromProto, toMigration, toSummary } from "../../src/migration/mapping.js";
import type { MigrationRow } from "../../src/store/index.js";

const row: MigrationRow = {
  id: "m:2",
  modelUuid: "m",
  attempt: 2,
  modelName: "migrate",
  modelOwner: "admin",
  initiatedBy: "admin",
  phase: "IMPORT",
  phaseChangedAt: 1000,
  statusMessage: "importing model into destination controller",
  startedAt: 500,
  endedAt: null,
  activationSentAt: null,
  failure: "",
  abortRequested: false,
  targetControllerUuid: "d",
  targetControllerName: "dst",
  targetAddresses: '["10.0.0.5:17070"]',
  targetCaCert: "PEM",
  targetToken: "v1:sealed",
  progress: JSON.stringify({ entitiesDone: 250, entitiesTotal: 1000, importStartedAt: 1000, documentBytes: 4000 }),
  phaseTimings: JSON.stringify([
    { phase: "QUIESCE", start: 500, end: 1000 },
    { phase: "IMPORT", start: 1000 },
  ]),
  exportCounts: "{}",
  exportDigest: "",
};

describe("migration mapping", () => {
  it("never carries the token, and maps phases, timings and progress", () => {
    const m = toMigration(row, 2000);
    expect(m.target?.token).toBe("");
    expect(JSON.stringify(m, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain("sealed");
    expect(m.target?.addresses).toEqual(["10.0.0.5:17070"]);
    expect(m.phase).toBe(MigrationPhase.IMPORT);
    expect(m.phaseTimings.map((t) => [t.phase, t.endTime !== undefined])).toEqual([
      [MigrationPhase.QUIESCE, true],
      [MigrationPhase.IMPORT, false],
    ]);
    expect(m.progress?.entitiesDone).toBe(250n);
    expect(m.endTime).toBeUndefined();
    expect(phaseFromProto(MigrationPhase.REAPFAILED)).toBe("REAPFAILED");
  });

  it("estimates time left from the rates seen so far", () => {
    // 250 of 1000 entities in 1 s: 3 s left for the document.
    expect(estimateRemainingMs("IMPORT", { entitiesDone: 250, entitiesTotal: 1000, importStartedAt: 0 }, 1000)).toBe(
      3000,
    );
    // Binaries not started yet are priced at the document's byte rate (1000 bytes/s).
    expect(
      estimateRemainingMs(
        "IMPORT",
        { entitiesDone: 250, entitiesTotal: 1000, importStartedAt: 0, documentBytes: 4000, bytesTotal: 2000 },
        1000,
      ),
    ).toBe(5000);
    // Uploading: 100 of 400 bytes in 1 s.
    expect(
      estimateRemainingMs(
        "IMPORT",
        {
          entitiesDone: 1,
          entitiesTotal: 1,
          importStartedAt: 0,
          uploadStartedAt: 1000,
          bytesDone: 100,
          bytesTotal: 400,
        },
        2000,
      ),
    ).toBe(3000);
    expect(estimateRemainingMs("IMPORT", { importStartedAt: 0, entitiesTotal: 10 }, 1000)).toBeUndefined();
    expect(estimateRemainingMs("VALIDATION", { entitiesDone: 1, entitiesTotal: 1 }, 1000)).toBeUndefined();
  });

  it("the model's summary drops the 'migrating: ' prefix", () => {
    const s = toSummary({ ...row, statusMessage: "migrating: exporting model", endedAt: 3000 });
    expect(s.message).toBe("exporting model");
    expect(s.endTime).toBeDefined();
    expect(s.id).toBe("m:2");
  });
});
