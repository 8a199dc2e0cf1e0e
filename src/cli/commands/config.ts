// config (application) and model-config: show all, print one key, or change.
import type { ConfigValue } from "../../../gen/ts/ferry/v1/resources_pb.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { typedConfigValue } from "../output/config-value.js";
import { formatTable } from "../output/table.js";
import type { Opts } from "../run.js";
import { parseKeyValues, parseList } from "./parse.js";

type Mode =
  { kind: "show" } | { kind: "get"; key: string } | { kind: "set"; set: Record<string, string>; unset: string[] };

function mode(settings: string[], reset: string | undefined): Mode {
  const unset = parseList(reset);
  const assignments = settings.filter((s) => s.includes("="));
  if (assignments.length && assignments.length !== settings.length) {
    throw new CliError("mix of key=value settings and plain keys: either set values or print one key");
  }
  if (assignments.length || unset.length) {
    if (!assignments.length && settings.length) throw new CliError("cannot print a key and --reset in one command");
    return { kind: "set", set: parseKeyValues(assignments), unset };
  }
  if (settings.length > 1) throw new CliError("print one key at a time, or none to see them all");
  return settings.length ? { kind: "get", key: settings[0]! } : { kind: "show" };
}

function getOne(config: Record<string, ConfigValue>, key: string, what: string): string {
  const v = config[key];
  if (!v) throw new CliError(`key "${key}" not found in ${what} config`);
  return v.value;
}

export async function applicationConfig(
  ctx: CliContext,
  opts: Opts,
  application: string,
  settings: string[] = [],
): Promise<void> {
  const m = mode(settings, opts.reset);
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  if (m.kind === "set") {
    await session.clients.model.updateApplicationConfig({
      model: target.model,
      application,
      set: m.set,
      unset: m.unset,
    });
    return;
  }
  const res = await session.clients.model.getApplicationConfig({ model: target.model, application });
  if (m.kind === "get") {
    ctx.out(getOne(res.config, m.key, `"${application}"`));
    return;
  }
  const format = parseFormat(opts.format, ["yaml", "json"], "yaml") as "yaml" | "json";
  const settingsDoc = Object.fromEntries(
    Object.keys(res.config)
      .sort()
      .map((k) => {
        const v = res.config[k]!;
        return [k, { description: v.description, source: v.source, type: v.type, value: typedConfigValue(v) }];
      }),
  );
  ctx.out(structured({ application, settings: settingsDoc }, format));
}

export async function modelConfig(ctx: CliContext, opts: Opts, settings: string[] = []): Promise<void> {
  const m = mode(settings, opts.reset);
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  if (m.kind === "set") {
    await session.clients.model.updateModelConfig({ model: target.model, set: m.set, unset: m.unset });
    return;
  }
  const res = await session.clients.model.getModelConfig({ model: target.model });
  if (m.kind === "get") {
    ctx.out(getOne(res.config, m.key, "model"));
    return;
  }
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const keys = Object.keys(res.config).sort();
  if (format !== "tabular") {
    ctx.out(
      structured(
        Object.fromEntries(
          keys.map((k) => [k, { value: typedConfigValue(res.config[k]!), source: res.config[k]!.source }]),
        ),
        format,
      ),
    );
    return;
  }
  ctx.out(
    formatTable([["Attribute", "From", "Value"], ...keys.map((k) => [k, res.config[k]!.source, res.config[k]!.value])]),
  );
}
