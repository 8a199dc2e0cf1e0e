// controllers, switch, whoami: what this client knows and where it points.
import type { ControllerRecord } from "../../client/store/store.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { controllerAccessName } from "../output/names.js";
import { formatTable } from "../output/table.js";
import type { Opts } from "../run.js";
import { displayModelName, refreshModelCache } from "./model-cache.js";

/** Which of a controller's addresses answer a health check now (all at once, 1 s each). */
async function healthOf(c: ControllerRecord): Promise<Record<string, "up" | "down">> {
  const { isServingAt } = await import("../../client/health.js");
  const results = await Promise.all(
    c.apiEndpoints.map(
      async (address) => [address, (await isServingAt(address, c.caCert, 1000)) ? "up" : "down"] as const,
    ),
  );
  return Object.fromEntries(results);
}

export async function listControllers(ctx: CliContext, opts: Opts): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const { controllers, currentController } = await ctx.store.controllers();
  const names = Object.keys(controllers).sort();
  const rows: Record<string, Record<string, unknown>> = {};
  const health = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await healthOf(controllers[n]!)])));
  for (const name of names) {
    const c = controllers[name]!;
    const account = await ctx.store.account(name);
    const { currentModel } = await ctx.store.models(name);
    rows[name] = {
      uuid: c.uuid,
      "api-endpoints": c.apiEndpoints,
      // Every address (node) of the controller, and whether it answers now.
      nodes: c.apiEndpoints.map((a) => ({ address: a, health: health[name]![a] })),
      ...(c.store ? { store: c.store } : {}),
      "ca-fingerprint": c.caFingerprint,
      cloud: c.cloud,
      region: c.region,
      "cloud-type": c.cloudType,
      "agent-version": c.agentVersion,
      ...(currentModel ? { "current-model": currentModel } : {}),
      ...(account?.user ? { user: account.user } : {}),
      ...(account?.access ? { access: account.access } : {}),
      "logged-in": Boolean(account?.token),
      status: Object.values(health[name]!).some((h) => h === "up") ? "up" : "down",
      ...(c.dataDir ? { "data-dir": c.dataDir } : {}),
    };
  }
  if (format !== "tabular") {
    ctx.out(
      structured(
        { controllers: rows, ...(currentController ? { "current-controller": currentController } : {}) },
        format,
      ),
    );
    return;
  }
  if (!names.length) {
    ctx.info("No controllers registered. Bootstrap one with 'ferry bootstrap' or log in with 'ferry login'.");
    return;
  }
  const table = [["Controller", "Model", "User", "Access", "Cloud/Region", "Version", "Address", "Nodes"]];
  for (const name of names) {
    const r = rows[name]!;
    const user = r.user as string | undefined;
    table.push([
      name === currentController ? `${name}*` : name,
      r["current-model"] ? displayModelName(String(r["current-model"]), user) : "-",
      user ? (r["logged-in"] ? user : `${user} (logged out)`) : "-",
      (r.access as string) ?? "-",
      `${r.cloud ?? ""}/${r.region ?? ""}`,
      (r["agent-version"] as string) ?? "",
      controllers[name]!.apiEndpoints.find((a) => health[name]![a] === "up") ??
        controllers[name]!.apiEndpoints[0] ??
        "",
      `${Object.values(health[name]!).filter((h) => h === "up").length}/${controllers[name]!.apiEndpoints.length} up`,
    ]);
  }
  ctx.out(formatTable(table));
  for (const name of names) {
    const c = controllers[name]!;
    if (!c.dataDir || Object.values(health[name]!).some((h) => h === "up")) continue;
    ctx.info(`Controller "${name}" is down: start it again with 'ferry start-controller ${name}'.`);
  }
}

async function describeCurrent(ctx: CliContext): Promise<string> {
  const { currentController } = await ctx.store.controllers();
  if (!currentController) return "(none)";
  const { currentModel } = await ctx.store.models(currentController);
  return currentModel ? `${currentController}:${currentModel}` : `${currentController} (controller)`;
}

/** The current controller and model as `switch` takes them back ("<controller>[:<model>]"). */
async function currentTarget(ctx: CliContext): Promise<string | undefined> {
  const { currentController } = await ctx.store.controllers();
  if (!currentController) return undefined;
  const { currentModel } = await ctx.store.models(currentController);
  return currentModel ? `${currentController}:${currentModel}` : currentController;
}

export async function switchTo(ctx: CliContext, _opts: Opts, target?: string): Promise<void> {
  const before = await describeCurrent(ctx);
  if (!target) {
    if (before === "(none)") throw new CliError("no current controller");
    ctx.out(before);
    return;
  }
  const { controllers } = await ctx.store.controllers();
  if (target === "-") {
    const previous = await ctx.store.previousTarget();
    const name = previous?.split(":")[0];
    if (!previous || !name || !controllers[name])
      throw new CliError("no previous controller or model to switch back to", "Use 'ferry switch <target>' first.");
    target = previous;
  }
  const from = await currentTarget(ctx);
  let controller: string;
  let model: string | undefined;
  if (target.includes(":")) {
    controller = target.slice(0, target.indexOf(":"));
    model = target.slice(target.indexOf(":") + 1);
    if (!controllers[controller]) throw new CliError(`controller "${controller}" not found in the client store`);
    if (!model) throw new CliError(`invalid target "${target}": expected <controller>:<model>`);
  } else if (controllers[target]) {
    controller = target;
  } else {
    controller = await ctx.controllerName();
    model = target;
  }
  if (model !== undefined) {
    let qualified = await ctx.qualify(controller, model);
    if (!(qualified in (await ctx.store.models(controller)).models)) {
      // Not cached yet (e.g. just created by someone else, or just migrated
      // here): ask the controller.
      const session = await ctx.session(controller);
      await refreshModelCache(ctx, session);
      qualified = await ctx.qualify(controller, model);
      if (!(qualified in (await ctx.store.models(controller)).models)) {
        throw new CliError(
          `model "${model}" not found on controller "${controller}"`,
          "Run 'ferry models' to list the models you can see.",
        );
      }
    }
    await ctx.store.updateModels(controller, (m) => {
      m.currentModel = qualified;
    });
  }
  await ctx.store.setCurrentController(controller);
  if (from && from !== (await currentTarget(ctx))) await ctx.store.setPreviousTarget(from);
  ctx.out(`${before} -> ${await describeCurrent(ctx)}`);
}

export async function whoami(ctx: CliContext, opts: Opts): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const name = await ctx.controllerName(opts.controller);
  const session = await ctx.session(name);
  const res = await session.clients.controller.whoAmI({});
  const { currentModel } = await ctx.store.models(name);
  const doc = {
    controller: name,
    model: currentModel ? displayModelName(currentModel, res.user?.name) : "",
    user: res.user?.name ?? session.account?.user ?? "",
    access: res.user ? controllerAccessName(res.user.access) : "",
  };
  if (res.user && session.account && controllerAccessName(res.user.access) !== session.account.access) {
    await ctx.store.putAccount(name, { ...session.account, access: controllerAccessName(res.user.access) });
  }
  if (format !== "tabular") {
    ctx.out(structured(doc, format));
    return;
  }
  ctx.out(
    formatTable([
      ["Controller:", doc.controller],
      ["Model:", doc.model || "<no-current-model>"],
      ["User:", doc.user],
      ["Access:", doc.access],
    ]),
  );
}
