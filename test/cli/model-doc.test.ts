import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ModelSchema, Life, ModelAccess, MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { toYaml } from "../../src/cli/output/format.js";
import { showModelDoc } from "../../src/cli/output/model-doc.js";

const now = new Date(Date.UTC(2026, 10, 26, 14, 3, 7));
const ago = (s: number) => timestampFromDate(new Date(now.getTime() - s * 1000));

function model(migration?: { message: string; start: number; end?: number }, message = "") {
  return create(ModelSchema, {
    name: "migrate",
    owner: "admin",
    uuid: "5f227519-3cdb-4538-871c-1c4589a4598a",
    type: "iaas",
    controllerUuid: "3b4e0c57-aaaa",
    controllerName: "src-own-name",
    cloud: "localhost",
    region: "localhost",
    cloudType: "lxd",
    life: Life.ALIVE,
    agentVersion: "1.2.0",
    status: { current: migration && !migration.end ? "busy" : "available", message, since: ago(3) },
    users: [
      { user: "admin", access: ModelAccess.ADMIN, lastConnectionTime: ago(120) },
      { user: "bob", access: ModelAccess.READ },
    ],
    ...(migration
      ? {
          migration: {
            id: "5f227519-3cdb-4538-871c-1c4589a4598a:0",
            phase: MigrationPhase.IMPORT,
            message: migration.message,
            startTime: ago(migration.start),
            ...(migration.end !== undefined ? { endTime: ago(migration.end) } : {}),
          },
        }
      : {}),
  });
}

describe("showModelDoc (migration.md §3)", () => {
  it("shows a running migration under status", () => {
    const msg = "uploading model binaries into destination controller";
    const doc = showModelDoc(model({ message: msg, start: 21 }, `migrating: ${msg}`), now, "src") as Record<
      string,
      any
    >;
    expect(Object.keys(doc)).toEqual(["migrate"]);
    const m = doc.migrate;
    expect(m).toMatchObject({
      name: "admin/migrate",
      "short-name": "migrate",
      "model-uuid": "5f227519-3cdb-4538-871c-1c4589a4598a",
      "controller-uuid": "3b4e0c57-aaaa",
      "controller-name": "src",
      "is-controller": false,
      owner: "admin",
      cloud: "localhost",
      region: "localhost",
      type: "lxd",
      life: "alive",
      "agent-version": "1.2.0",
    });
    expect(m.status).toEqual({
      current: "busy",
      message: `migrating: ${msg}`,
      since: "3 seconds ago",
      migration: msg,
      "migration-start": "21 seconds ago",
    });
    expect(m.users).toEqual({
      admin: { access: "admin", "last-connection": "2 minutes ago" },
      bob: { access: "read", "last-connection": "never connected" },
    });
    // The YAML quotes the message as in the spec.
    const yaml = toYaml(doc);
    expect(yaml).toContain(`    message: 'migrating: ${msg}'`);
    expect(parse(yaml)).toEqual(doc);
  });

  it("adds migration-end once the migration ended, and strips a 'migrating: ' prefix", () => {
    const doc = showModelDoc(
      model({ message: "migrating: aborted, removing model from destination controller: boom", start: 7200, end: 30 }),
      now,
    ) as Record<string, any>;
    expect(doc.migrate.status).toMatchObject({
      current: "available",
      migration: "aborted, removing model from destination controller: boom",
      "migration-start": "2 hours ago",
      "migration-end": "30 seconds ago",
    });
  });

  it("has no migration keys when the model never migrated", () => {
    const doc = showModelDoc(model(), now) as Record<string, any>;
    expect(doc.migrate.status).toEqual({ current: "available", since: "3 seconds ago" });
  });
});
