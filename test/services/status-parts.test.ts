// StreamStatus parts: each within the size bound, and merged back they are
// exactly the status they were cut from.
import { create, equals, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { FullStatusSchema, StreamStatusResponseSchema, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import { ApplicationSchema, MachineSchema, RelationSchema, UnitSchema } from "../../gen/ts/ferry/v1/resources_pb.js";
import { mergeStatusParts } from "../../src/client/status.js";
import { STATUS_PART_BYTES, statusParts } from "../../src/services/status-parts.js";

/** A status with `apps` applications of `unitsPerApp` units, a machine per unit, and relations. */
function bigStatus(apps: number, unitsPerApp: number): FullStatus {
  const machines: MessageInitShape<typeof MachineSchema>[] = [];
  const applications: MessageInitShape<typeof ApplicationSchema>[] = [];
  const relations: MessageInitShape<typeof RelationSchema>[] = [];
  for (let a = 0; a < apps; a++) {
    const name = `app-${String(a).padStart(3, "0")}`;
    const units: MessageInitShape<typeof UnitSchema>[] = [];
    for (let u = 0; u < unitsPerApp; u++) {
      const id = String(machines.length);
      const ip = `10.${(machines.length >> 16) & 255}.${(machines.length >> 8) & 255}.${machines.length & 255}`;
      machines.push({
        id,
        instanceId: `ferry-${id}`,
        dnsName: ip,
        ipAddresses: [ip],
        agentStatus: { current: "started" },
      });
      units.push({
        name: `${name}/${u}`,
        application: name,
        machine: id,
        publicAddress: ip,
        leader: u === 0,
        workloadStatus: { current: "active", message: "ready" },
        agentStatus: { current: "idle" },
      });
    }
    applications.push({ name, charm: "postgresql", charmRev: 3, units, unitCount: unitsPerApp });
  }
  for (let r = 0; r + 1 < apps; r++) {
    relations.push({ id: r, key: `app-${r}:db app-${r + 1}:db`, interface: "pgsql" });
  }
  return create(FullStatusSchema, {
    model: { name: "big", owner: "admin", uuid: "0f6b3d5e-0000-4000-8000-000000000000" },
    machines,
    applications,
    relations,
    time: timestampFromMs(1_760_000_000_000),
  });
}

function expectRoundTrip(status: FullStatus, maxBytes?: number): FullStatus[] {
  const parts = statusParts(status, maxBytes);
  const bound = maxBytes ?? STATUS_PART_BYTES;
  for (const p of parts) {
    expect(
      toBinary(StreamStatusResponseSchema, create(StreamStatusResponseSchema, { status: p })).byteLength,
    ).toBeLessThanOrEqual(bound);
  }
  const merged = mergeStatusParts(parts);
  expect(equals(FullStatusSchema, merged, status)).toBe(true);
  // Only the first part carries the model and time.
  expect(parts.slice(1).every((p) => p.model === undefined && p.time === undefined)).toBe(true);
  return parts;
}

describe("statusParts / mergeStatusParts", () => {
  it("leaves a status that fits as its only part", () => {
    const st = bigStatus(2, 3);
    const parts = statusParts(st);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toBe(st);
    expect(equals(FullStatusSchema, mergeStatusParts(parts), st)).toBe(true);
  });

  it("cuts a 50,000-unit status (over 4 MiB) into parts of at most 1 MiB that merge back exactly", () => {
    const st = bigStatus(100, 500);
    expect(toBinary(FullStatusSchema, st).byteLength).toBeGreaterThan(4 * 1024 * 1024);
    const parts = expectRoundTrip(st);
    expect(parts.length).toBeGreaterThan(4);
  });

  it("continues an application bigger than a part over several parts, under its own name", () => {
    const st = bigStatus(3, 20_000);
    const parts = expectRoundTrip(st);
    const pieces = parts.flatMap((p) => p.applications.filter((a) => a.name === "app-001"));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((a) => a.unitCount === 20_000 && a.charm === "postgresql")).toBe(true);
    expect(pieces.reduce((n, a) => n + a.units.length, 0)).toBe(20_000);
  });

  it("holds for every size of part, down to one element each", () => {
    const st = bigStatus(4, 7);
    for (const maxBytes of [120, 200, 333, 512, 1024, 4096]) expectRoundTrip(st, maxBytes);
    // An element bigger than the bound still goes out, alone in its part.
    const tiny = statusParts(st, 16);
    expect(equals(FullStatusSchema, mergeStatusParts(tiny), st)).toBe(true);
  });

  it("counts the first part's model and time: no part is over the bound, whatever comes first", () => {
    // No machines, so an application comes right after a large model header.
    const st = bigStatus(1, 13);
    st.machines = [];
    st.model!.name = "m".repeat(200);
    for (let maxBytes = 600; maxBytes <= 1400; maxBytes += 7) expectRoundTrip(st, maxBytes);
    // And a first machine or relation likewise.
    const other = bigStatus(3, 2);
    other.model!.name = "m".repeat(300);
    for (let maxBytes = 400; maxBytes <= 900; maxBytes += 5) expectRoundTrip(other, maxBytes);
  });

  it("does not merge two applications that merely follow each other", () => {
    const st = bigStatus(2, 2);
    const parts = statusParts(st, 200);
    const merged = mergeStatusParts(parts);
    expect(merged.applications.map((a) => a.name)).toEqual(["app-000", "app-001"]);
  });
});
