// StreamStatus: one FullStatus cut into parts of at most STATUS_PART_BYTES
// encoded, so a model of any size can be read without the 4 MiB message limit.
// The rule for putting them back is in the proto (StreamStatusResponse) and in
// src/client/status.ts (mergeStatusParts).
import { create, toBinary } from "@bufbuild/protobuf";
import { FullStatusSchema, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import {
  ApplicationSchema,
  MachineSchema,
  RelationSchema,
  UnitSchema,
  type Application,
} from "../../gen/ts/ferry/v1/resources_pb.js";

/** The most a part (the FullStatus inside StreamStatusResponse) may encode to. */
export const STATUS_PART_BYTES = 1024 * 1024;

/** Room left for StreamStatusResponse's own tag and length prefix. */
const WRAPPER_BYTES = 8;

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/** What an element of `len` encoded bytes adds to a repeated message field (tag < 16). */
function fieldBytes(len: number): number {
  return 1 + varintBytes(len) + len;
}

/**
 * Cuts `status` into parts whose encoding stays within `maxBytes` (an element
 * that is alone bigger than that gets a part of its own). A status that fits
 * is returned as its only part, unchanged.
 */
export function statusParts(status: FullStatus, maxBytes = STATUS_PART_BYTES): FullStatus[] {
  const budget = maxBytes - WRAPPER_BYTES;
  // Each element is encoded once, for its size; a message's encoding is its
  // fields' side by side, so these sizes also add up to the whole status's.
  const header = toBinary(FullStatusSchema, create(FullStatusSchema, { model: status.model, time: status.time }));
  const machineBytes = status.machines.map((m) => fieldBytes(toBinary(MachineSchema, m).byteLength));
  const relationBytes = status.relations.map((r) => fieldBytes(toBinary(RelationSchema, r).byteLength));
  const apps = status.applications.map((app) => {
    const unitBytes = app.units.map((u) => fieldBytes(toBinary(UnitSchema, u).byteLength));
    const bare: Application = { ...app, units: [] };
    const bareLen = toBinary(ApplicationSchema, bare).byteLength;
    return { app, bare, bareLen, unitBytes, whole: fieldBytes(bareLen + sum(unitBytes)) };
  });
  const total = header.byteLength + sum(machineBytes) + sum(apps.map((a) => a.whole)) + sum(relationBytes);
  if (total <= budget) return [status];

  const parts: FullStatus[] = [];
  let part = create(FullStatusSchema, { model: status.model, time: status.time });
  let used = header.byteLength;
  /**
   * Makes room for `bytes` more, starting a new part unless this one is empty
   * (the first part's model and time count: they can leave that part with only
   * them, which merging handles like any other part).
   */
  const room = (bytes: number) => {
    if (used + bytes > budget && used > 0) {
      parts.push(part);
      part = create(FullStatusSchema);
      used = 0;
    }
  };
  /** Appends `items` (of `bytes[i]` encoded bytes each) to the list `list` picks, part after part. */
  function place<T>(items: T[], bytes: number[], list: (p: FullStatus) => T[]): void {
    items.forEach((item, i) => {
      room(bytes[i]!);
      list(part).push(item);
      used += bytes[i]!;
    });
  }

  place(status.machines, machineBytes, (p) => p.machines);
  for (const { app, bare, bareLen, unitBytes, whole } of apps) {
    if (whole <= budget || app.units.length === 0) {
      place([app], [whole], (p) => p.applications); // whole, in this part or the next
      continue;
    }
    // Bigger than a part: its units go out over as many parts as needed, each
    // time under an entry with the same other fields.
    let i = 0;
    while (i < app.units.length) {
      // The length prefix of an entry holding up to a whole part: at most 3 bytes.
      const entryOverhead = 1 + 3 + bareLen;
      room(entryOverhead + unitBytes[i]!);
      const entry: Application = { ...bare, units: [] };
      used += entryOverhead;
      do {
        entry.units.push(app.units[i]!);
        used += unitBytes[i]!;
        i++;
      } while (i < app.units.length && used + unitBytes[i]! <= budget);
      part.applications.push(entry);
    }
  }
  place(status.relations, relationBytes, (p) => p.relations);
  if (used > 0 || parts.length === 0) parts.push(part);
  return parts;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
