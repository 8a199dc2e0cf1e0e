// add-user, change-user-password, grant, revoke, users.
import { ControllerAccess } from "../../../gen/ts/ferry/v1/resources_pb.js";
import type { User } from "../../../gen/ts/ferry/v1/controller_pb.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { controllerAccessName, modelAccessName, parseControllerAccess, parseModelAccess } from "../output/names.js";
import { formatTable } from "../output/table.js";
import { formatDateTime, relativeTime, toDate } from "../output/time.js";
import { readPassword } from "../prompt.js";
import type { Opts } from "../run.js";

export async function addUser(ctx: CliContext, opts: Opts, name: string): Promise<void> {
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  // Refuse a taken name (or a caller who may not add users) before asking
  // anyone to type a password twice.
  await session.clients.controller.createUser({ name, displayName: opts.displayName ?? "", validateOnly: true });
  // commander turns --no-password into password === false.
  const password =
    opts.password === false ? "" : await readPassword(`password for new user ${name}: `, { confirm: true });
  const res = await session.clients.controller.createUser({ name, displayName: opts.displayName ?? "", password });
  ctx.out(`User "${res.user?.name ?? name}" added to controller "${controller}".`);
  if (!password)
    ctx.info(`User "${name}" cannot log in until a password is set with 'ferry change-user-password ${name}'.`);
}

export async function changeUserPassword(ctx: CliContext, opts: Opts, name?: string): Promise<void> {
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  const who = name ?? session.account?.user ?? "";
  const password = await readPassword(`new password for ${who}: `, { confirm: true });
  await session.clients.controller.setUserPassword({ user: name ?? "", password });
  // The kept bootstrap password follows the change, or the next renewal would fail.
  const account = await ctx.store.account(controller);
  if (account?.password && account.user === who) await ctx.store.putAccount(controller, { ...account, password });
  ctx.out(`Password for "${who}" changed.`);
}

const CONTROLLER_LEVELS = [
  ControllerAccess.UNSPECIFIED,
  ControllerAccess.LOGIN,
  ControllerAccess.ADD_MODEL,
  ControllerAccess.SUPERUSER,
];

async function changeAccess(
  ctx: CliContext,
  opts: Opts,
  user: string,
  access: string,
  models: string[],
  grant: boolean,
): Promise<void> {
  const modelAccess = parseModelAccess(access);
  const controllerAccess = parseControllerAccess(access);
  if (modelAccess === undefined && controllerAccess === undefined) {
    throw new CliError(
      `invalid access "${access}": expected read, write or admin (model), or login, add-model or superuser (controller)`,
    );
  }
  if (modelAccess !== undefined) {
    if (!models.length) throw new CliError(`"${access}" is a model access level: name at least one model`);
    for (const m of models) {
      const spec = m.includes(":") || !opts.controller ? m : `${opts.controller}:${m}`;
      const target = await ctx.modelTarget(spec);
      const session = await ctx.session(target.controller);
      const req = { user, model: target.model, access: modelAccess };
      const res = grant
        ? await session.clients.controller.grantModelAccess(req)
        : await session.clients.controller.revokeModelAccess(req);
      const now = modelAccessName(res.access) || "no access";
      ctx.out(`User "${user}" now has ${now} on model "${target.display}".`);
    }
    return;
  }
  if (models.length) throw new CliError(`"${access}" is a controller access level: it takes no model`);
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  // Revoking a controller level drops to the level below it, like model access.
  const level = grant ? controllerAccess! : CONTROLLER_LEVELS[CONTROLLER_LEVELS.indexOf(controllerAccess!) - 1]!;
  await session.clients.controller.setControllerAccess({ user, access: level });
  ctx.out(`User "${user}" now has ${controllerAccessName(level) || "no"} access to controller "${controller}".`);
}

export function grant(ctx: CliContext, opts: Opts, user: string, access: string, models: string[] = []): Promise<void> {
  return changeAccess(ctx, opts, user, access, models, true);
}

export function revoke(
  ctx: CliContext,
  opts: Opts,
  user: string,
  access: string,
  models: string[] = [],
): Promise<void> {
  return changeAccess(ctx, opts, user, access, models, false);
}

/** One user as the reference's `users --format json|yaml` lists it: a list of objects, in name order. */
function userDoc(u: User): Record<string, unknown> {
  const created = toDate(u.createTime);
  const last = toDate(u.lastLoginTime);
  return {
    "user-name": u.name,
    "display-name": u.displayName,
    access: controllerAccessName(u.access),
    "created-by": u.createdBy,
    ...(created ? { "date-created": created.toISOString() } : {}),
    ...(last ? { "last-connection": last.toISOString() } : {}),
    disabled: u.disabled,
  };
}

export async function listUsers(ctx: CliContext, opts: Opts): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const controller = await ctx.controllerName(opts.controller);
  const session = await ctx.session(controller);
  const users: User[] = [];
  let pageToken = "";
  do {
    const res = await session.clients.controller.listUsers({ pageSize: 1000, pageToken });
    users.push(...res.users);
    pageToken = res.nextPageToken;
  } while (pageToken);
  if (format !== "tabular") {
    ctx.out(structured(users.map(userDoc), format));
    return;
  }
  const now = new Date();
  const rows = users.map((u) => {
    const created = toDate(u.createTime);
    const last = toDate(u.lastLoginTime);
    return [
      u.name === session.account?.user ? `${u.name}*` : u.name,
      u.displayName,
      controllerAccessName(u.access) + (u.disabled ? " (disabled)" : ""),
      created ? relativeTime(created, now) : "",
      last ? relativeTime(last, now) : "never connected",
    ];
  });
  ctx.out(
    `Controller: ${controller}\n\n${formatTable([["Name", "Display name", "Access", "Date created", "Last connection"], ...rows])}`,
  );
}
