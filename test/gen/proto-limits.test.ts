// Every RPC's proto comment ends with its limits, computed from the tables
// the server enforces (src/transport/limits-doc.ts). This fails when a proto
// file's Limits paragraphs are stale; `npm run proto:limits` rewrites them
// (and regenerates, since the comments travel into the generated code).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DescFile } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { file_ferry_v1_agent } from "../../gen/ts/ferry/v1/agent_pb.js";
import { file_ferry_v1_controller } from "../../gen/ts/ferry/v1/controller_pb.js";
import { file_ferry_v1_migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import { file_ferry_v1_migration_target } from "../../gen/ts/ferry/v1/migration_target_pb.js";
import { file_ferry_v1_model } from "../../gen/ts/ferry/v1/model_pb.js";
import { file_ferry_v1_resources } from "../../gen/ts/ferry/v1/resources_pb.js";
import { limitsText, withLimitComments } from "../../src/transport/limits-doc.js";
import { ITEM_OVERRIDES } from "../../src/transport/limits.js";

const root = join(import.meta.dirname, "..", "..");
const files: DescFile[] = [
  file_ferry_v1_agent,
  file_ferry_v1_controller,
  file_ferry_v1_migration,
  file_ferry_v1_migration_target,
  file_ferry_v1_model,
];
const write = process.env.FERRY_WRITE_PROTO_LIMITS === "1";

describe("proto Limits paragraphs", () => {
  it.each(files.map((f) => [f.name, f] as const))("%s documents every RPC's limits", (name, file) => {
    const path = join(root, "proto", `${name}.proto`);
    const text = readFileSync(path, "utf8");
    const want = withLimitComments(text, file.services);
    if (write && want !== text) {
      writeFileSync(path, want);
      return;
    }
    expect(text, `${path} is stale: run npm run proto:limits`).toBe(want);
    const rpcs = file.services.flatMap((s) => s.methods);
    expect(rpcs.length).toBeGreaterThan(0);
    for (const m of rpcs) expect(text).toContain(limitsText(m).split(" ").slice(0, 4).join(" "));
  });

  it("names real fields in its overrides, and says so in the comments", () => {
    const all = [...files, file_ferry_v1_resources];
    for (const [key, n] of Object.entries(ITEM_OVERRIDES)) {
      const [typeName, field] = [key.slice(0, key.lastIndexOf(".")), key.slice(key.lastIndexOf(".") + 1)];
      const msg = all.flatMap((f) => f.messages).find((m) => m.typeName === typeName);
      expect(msg, `${key} is not a message of the contract`).toBeDefined();
      const f = msg!.fields.find((x) => x.name === field);
      expect(f?.fieldKind === "list" || f?.fieldKind === "map", `${key} is not a list or map field`).toBe(true);
      expect(
        limitsText(file_ferry_v1_migration_target.services[0]!.methods.find((m) => m.name === "Prechecks")!),
      ).toContain(`${n.toLocaleString("en-US")} entries`);
    }
  });
});
