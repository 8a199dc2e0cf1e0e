// Every command with `--format json` (issue 10 item 5), run against real
// controllers: its output parses, its keys are the ones listed here (so a
// rename breaks this test before it breaks a user's script), counts and times
// are numbers and RFC 3339 strings, and YAML carries the same document. The
// list is checked against the program itself: a new command with --format
// fails here until it has a row.
import { rmSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { buildOnce, ferry, ok, tempHome } from "./harness.js";

const ENV = { env: { FERRY_ADMIN_PASSWORD: "admin-pass-1234" } };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
let home: string;

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => v as Doc;

interface Row {
  args: string[];
  /** The top-level keys, in order (a list: the keys of its first item). */
  keys: string[];
  check?: (doc: unknown) => void;
}

const ROWS: Record<string, Row> = {
  status: {
    args: ["status", "-m", "web"],
    keys: ["model", "machines", "applications", "controller"],
    check: (d) => {
      const app = obj(obj(obj(d).applications).postgresql);
      expect(app["charm-rev"]).toBeTypeOf("number");
      expect(Object.keys(obj(app.units))).toHaveLength(2);
    },
  },
  "show-application": {
    args: ["show-application", "wordpress", "-m", "web"],
    keys: ["wordpress"],
    check: (d) => {
      const app = obj(obj(d).wordpress);
      expect(Object.keys(app)).toEqual(expect.arrayContaining(["charm", "exposed", "units", "relations", "config"]));
      expect(obj(app.charm).size).toBeTypeOf("number");
    },
  },
  "show-machine": {
    args: ["show-machine", "0", "-m", "web"],
    keys: ["machines"],
    check: (d) => expect(Object.keys(obj(obj(d).machines))).toEqual(["0"]),
  },
  "show-unit": {
    args: ["show-unit", "postgresql/0", "-m", "web"],
    keys: ["postgresql/0"],
    check: (d) => expect(obj(obj(d)["postgresql/0"]).machine).toBeTypeOf("string"),
  },
  "status-history": {
    args: ["status-history", "postgresql/0", "-m", "web"],
    keys: ["entity", "entries", "more"],
    check: (d) => expect((obj(d).entries as unknown[]).length).toBeGreaterThan(0),
  },
  models: {
    args: ["models"],
    keys: ["models", "current-model"],
    check: (d) => expect(Array.isArray(obj(d).models)).toBe(true),
  },
  "show-model": {
    args: ["show-model", "web"],
    keys: ["web"],
    check: (d) => {
      const m = obj(obj(d).web);
      expect(m["machine-count"]).toBe(3);
      expect(m["unit-count"]).toBe(3);
      // Every call on the model is a connection to it (recorded at most once a minute).
      expect(obj(obj(m.users).admin)["last-connection"]).not.toBe("never connected");
    },
  },
  users: {
    args: ["users"],
    keys: ["user-name", "display-name", "access", "created-by", "date-created", "last-connection", "disabled"],
    check: (d) => {
      expect(Array.isArray(d)).toBe(true);
      const admin = (d as Doc[]).find((u) => u["user-name"] === "admin")!;
      expect(admin.access).toBe("superuser");
      expect(admin["date-created"]).toMatch(RFC3339);
    },
  },
  controllers: {
    args: ["controllers"],
    keys: ["controllers", "current-controller"],
    check: (d) => expect(obj(obj(obj(d).controllers).src).status).toBe("up"),
  },
  "show-controller": {
    args: ["show-controller", "src"],
    keys: ["src"],
    check: (d) => {
      const c = obj(obj(d).src);
      expect(c.models).toBeTypeOf("number");
      expect(c["uptime-seconds"]).toBeTypeOf("number");
      expect(c.uuid).toMatch(/^[0-9a-f-]{36}$/);
    },
  },
  whoami: { args: ["whoami"], keys: ["controller", "model", "user", "access"] },
  config: {
    args: ["config", "wordpress", "-m", "web"],
    keys: ["application", "settings"],
    check: (d) => expect(Object.keys(obj(obj(d).settings)).length).toBeGreaterThan(0),
  },
  "model-config": {
    args: ["model-config", "-m", "web"],
    keys: [
      "automatically-retry-hooks",
      "default-base",
      "logging-config",
      "name",
      "type",
      "update-status-hook-interval",
      "uuid",
    ],
    check: (d) => expect(obj(obj(d)["automatically-retry-hooks"]).value).toBeTypeOf("boolean"),
  },
  "show-migration": {
    args: ["show-migration", "moved", "-c", "src"],
    keys: [
      "id",
      "model",
      "model-uuid",
      "attempt",
      "phase",
      "status",
      "phase-time",
      "start",
      "start-time",
      "end",
      "end-time",
      "duration",
      "duration-seconds",
      "progress",
      "timings",
      "phase-timings",
      "target",
      "initiated-by",
    ],
    check: (d) => {
      const m = obj(d);
      expect(m.phase).toBe("DONE");
      expect(m["start-time"]).toMatch(RFC3339);
      expect(m["end-time"]).toMatch(RFC3339);
      expect(m["duration-seconds"]).toBeGreaterThan(0);
      const p = obj(m.progress);
      expect(Object.keys(p)).toEqual(["summary", "entities", "bytes", "logs-sent", "agents"]);
      // Simulated agents: the controller checked and found none connected.
      expect(p.agents).toEqual({ total: 0, reported: 0, pending: 0, switched: 0 });
      expect(p.summary).toContain("no agents connected");
      const entities = obj(p.entities);
      expect(entities.total).toBeGreaterThan(0);
      expect(entities.done).toBe(entities.total);
      expect(obj(p.bytes).total).toBeTypeOf("number");
      expect(p["logs-sent"]).toBeTypeOf("number");
      for (const t of m["phase-timings"] as Doc[]) {
        expect(t["start-time"]).toMatch(RFC3339);
        expect(t["duration-seconds"]).toBeTypeOf("number");
      }
    },
  },
};

function withFormat(program: Command): string[] {
  return program.commands.filter((c) => c.options.some((o) => o.long === "--format")).map((c) => c.name());
}

beforeAll(async () => {
  buildOnce();
  home = tempHome("ferry-json-");
  for (const c of ["dst", "src"]) {
    await ok(home, ["bootstrap", "localhost", c, "--api-port", "0", "--agents", "none"], ENV);
  }
  await ok(home, ["add-model", "web"]);
  await ok(home, ["deploy", "postgresql", "-n", "2"]);
  await ok(home, ["deploy", "wordpress", "--wait"], { timeoutMs: 90_000 });
  await ok(home, ["integrate", "wordpress", "postgresql"]);
  await ok(home, ["wait-for", "model", "web", "--timeout", "60s"], { timeoutMs: 90_000 });
  await ok(home, ["add-model", "moved"]);
  await ok(home, ["deploy", "postgresql", "--wait"], { timeoutMs: 90_000 });
  await ok(home, ["migrate", "moved", "dst", "--wait"], { timeoutMs: 120_000 });
  await ok(home, ["switch", "src:web"]);
}, 300_000);

afterAll(async () => {
  for (const c of ["src", "dst"]) await ferry(home, ["kill-controller", c, "--no-prompt"]);
  rmSync(home, { recursive: true, force: true });
});

describe("--format json", () => {
  it("every command with --format has a row here", () => {
    expect(withFormat(buildProgram()).sort()).toEqual(Object.keys(ROWS).sort());
  });

  it.each(Object.entries(ROWS))("%s: parses, keeps its keys, YAML says the same", async (_name, row) => {
    const out = (await ok(home, [...row.args, "--format", "json"])).stdout;
    expect(out.trim().split("\n")).toHaveLength(1);
    const doc = JSON.parse(out) as unknown;
    const first = Array.isArray(doc) ? doc[0] : doc;
    expect(Object.keys(obj(first))).toEqual(row.keys);
    row.check?.(doc);
    // YAML: the same keys (values that change by the second, like times, aside).
    const yaml = parseYaml((await ok(home, [...row.args, "--format", "yaml"])).stdout) as unknown;
    const yfirst = Array.isArray(yaml) ? yaml[0] : yaml;
    expect(Object.keys(obj(yfirst))).toEqual(row.keys);
  });
});
