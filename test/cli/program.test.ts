import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";

const COMMANDS = [
  "bootstrap",
  "kill-controller",
  "controllers",
  "switch",
  "login",
  "logout",
  "whoami",
  "add-user",
  "change-user-password",
  "grant",
  "revoke",
  "users",
  "version",
  "add-model",
  "models",
  "show-model",
  "destroy-model",
  "add-machine",
  "deploy",
  "add-unit",
  "remove-unit",
  "integrate",
  "remove-relation",
  "config",
  "model-config",
  "status",
  "debug-log",
  "migrate",
  "show-migration",
  "abort-migration",
  "create-backup",
  "restore-backup",
  // HA (issue 8): the reference's verb, and the controller's nodes.
  "enable-ha",
  "show-controller",
  // Live agents (issue 9): one entity in detail, its status history, and a wait until a model settles.
  "show-machine",
  "show-unit",
  "status-history",
  "wait-for",
  // The operator's day (issue 10).
  "remove-application",
  "remove-machine",
  "expose",
  "unexpose",
  "show-application",
  "start-controller",
  // Fleet operations (issue 12).
  "balance",
];

const MODEL_COMMANDS = [
  "show-model",
  "remove-application",
  "remove-machine",
  "expose",
  "unexpose",
  "show-application",
  "add-machine",
  "deploy",
  "add-unit",
  "remove-unit",
  "integrate",
  "remove-relation",
  "config",
  "model-config",
  "status",
  "debug-log",
  "show-migration",
];
const CONTROLLER_COMMANDS = [
  "whoami",
  "login",
  "logout",
  "add-user",
  "change-user-password",
  "grant",
  "revoke",
  "users",
  "add-model",
  "models",
  "create-backup",
  "restore-backup",
];

describe("ferry program", () => {
  const program = buildProgram();
  const byName = new Map(program.commands.map((c) => [c.name(), c]));

  it("registers every command of cli.md", () => {
    expect([...byName.keys()].sort()).toEqual([...COMMANDS].sort());
  });

  it("gives every command a description and an example in its help", () => {
    for (const name of COMMANDS) {
      const cmd = byName.get(name)!;
      expect(cmd.description(), name).not.toBe("");
      let help = "";
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      expect(help, name).toMatch(/Examples:\n {2}ferry /);
    }
  });

  it("writes every summary in one voice: sentence case, a full stop, no hard line breaks", () => {
    for (const cmd of [program, ...program.commands]) {
      const d = cmd.description();
      expect(d, cmd.name()).toMatch(/^[A-Z].*\.$/s);
      expect(d, cmd.name()).not.toContain("\n");
    }
  });

  it("accepts -m on model commands and -c on controller commands", () => {
    for (const name of MODEL_COMMANDS)
      expect(
        byName.get(name)!.options.some((o) => o.short === "-m"),
        name,
      ).toBe(true);
    for (const name of CONTROLLER_COMMANDS)
      expect(
        byName.get(name)!.options.some((o) => o.short === "-c"),
        name,
      ).toBe(true);
  });

  it("has no password flag anywhere", () => {
    for (const cmd of program.commands) {
      for (const o of cmd.options) expect(o.long === "--password" && !o.negate, `${cmd.name()} ${o.long}`).toBe(false);
    }
  });
});

describe("reference commands Ferry does not have", () => {
  it("are not Ferry commands, and docs/cli.md lists each as not yet", async () => {
    const { NOT_YET, notYetCommand } = await import("../../src/cli/program/not-yet.js");
    const { readFileSync } = await import("node:fs");
    const names = new Set(buildProgram().commands.flatMap((c) => [c.name(), ...c.aliases()]));
    const doc = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");
    for (const name of Object.keys(NOT_YET)) {
      expect(names.has(name), name).toBe(false);
      const row = doc.split("\n").find((l) => l.startsWith("| `juju ") && l.includes(name) && l.includes("not yet"));
      expect(row, name).toBeDefined();
    }
    expect(notYetCommand(["--debug", "remove-user", "bob"])?.name).toBe("remove-user");
    expect(notYetCommand(["status", "machines"])).toBeUndefined();
  });
});
