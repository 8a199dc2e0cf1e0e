// login (register an unknown controller with trust-on-first-use, or log in
// again to a known one) and logout.
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Controller, LoginResponse } from "../../../gen/ts/ferry/v1/controller_pb.js";
import { connect, type FerryClients } from "../../client/connect.js";
import { fetchControllerCa, UntrustworthyCaError } from "../../client/fetch-ca.js";
import { normaliseFingerprint } from "../../client/fingerprint.js";
import type { AccountRecord, ControllerRecord } from "../../client/store/store.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { controllerAccessName } from "../output/names.js";
import { ask, confirm, readPassword, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";
import { refreshModelCache } from "./model-cache.js";

async function chooseUser(opts: Opts, stored?: string): Promise<string> {
  if (opts.user) return String(opts.user);
  if (stored) return stored;
  if (stdinIsTTY()) return (await ask("username [admin]: ")) || "admin";
  return "admin";
}

/** Log in over an already-trusted connection; wrong credentials are an expected failure. */
export async function loginWith(clients: FerryClients, user: string, password: string): Promise<LoginResponse> {
  try {
    return await clients.controller.login({ user, password });
  } catch (err) {
    if (err instanceof ConnectError && (err.code === Code.Unauthenticated || err.code === Code.PermissionDenied)) {
      throw new CliError(err.rawMessage);
    }
    throw err;
  }
}

export function accountFrom(res: LoginResponse, user: string): AccountRecord {
  return {
    user: res.user?.name || user,
    token: res.token,
    ...(res.expireTime ? { tokenExpiry: timestampDate(res.expireTime).toISOString() } : {}),
    ...(res.user ? { access: controllerAccessName(res.user.access) } : {}),
  };
}

export function controllerRecordFrom(
  c: Controller,
  caPem: string,
  fingerprint: string,
  firstAddress?: string,
): ControllerRecord {
  const endpoints = [...new Set([...(firstAddress ? [firstAddress] : []), ...c.apiAddresses])];
  return {
    uuid: c.uuid,
    apiEndpoints: endpoints,
    caCert: caPem,
    caFingerprint: fingerprint,
    agentVersion: c.version,
    cloud: c.cloud,
    cloudType: c.cloudType,
    region: c.region,
  };
}

/**
 * Refresh the model cache after a login, and connect to the current model as
 * the reference's login does (so `ferry models` shows "just now" for it, not
 * "never connected"). A failure here must not fail the login.
 */
async function refreshQuietly(ctx: CliContext, name: string): Promise<void> {
  try {
    const session = await ctx.session(name);
    await refreshModelCache(ctx, session);
    const current = (await ctx.store.models(name)).currentModel;
    if (current) await session.clients.model.getModel({ model: current }, { timeoutMs: 5000 });
  } catch {
    // The next `ferry models` or `ferry switch` will try again.
  }
}

async function decideTrust(opts: Opts, fingerprint: string, alreadyTrusted: boolean): Promise<void> {
  if (opts.fingerprint) {
    const expected = normaliseFingerprint(String(opts.fingerprint));
    if (expected !== fingerprint) {
      throw new CliError(
        `CA fingerprint mismatch: expected ${expected}, the controller presented ${fingerprint}; refusing to trust it`,
      );
    }
    return;
  }
  if (opts.trust || alreadyTrusted) return;
  if (!stdinIsTTY()) {
    throw new CliError(
      "refusing to trust an unknown controller without confirmation",
      "Check the fingerprint above with the controller's operator, then rerun with --fingerprint <fingerprint> (or --trust).",
    );
  }
  if (!(await confirm("Trust this controller's CA?")))
    throw new CliError("controller not trusted; nothing was changed");
}

async function registerAndLogin(ctx: CliContext, opts: Opts, address: string): Promise<void> {
  let fetched;
  try {
    fetched = await fetchControllerCa(address);
  } catch (err) {
    if (err instanceof UntrustworthyCaError) throw new CliError(err.message);
    const msg = err instanceof ConnectError ? err.rawMessage : (err as Error).message;
    throw new CliError(`cannot connect to ${address}: ${msg}`);
  }
  const info = fetched.controller;
  const name = opts.controller ? String(opts.controller) : info.name;
  if (!name) throw new CliError("the controller did not say its name; give one with -c <name>");
  const { controllers } = await ctx.store.controllers();
  const existing = controllers[name];
  if (existing && existing.uuid !== info.uuid) {
    throw new CliError(
      `controller name "${name}" is already used in the client store for another controller (UUID ${existing.uuid})`,
      "Choose another name with -c <name>.",
    );
  }
  const alias = Object.entries(controllers).find(([n, c]) => n !== name && c.uuid === info.uuid)?.[0];
  if (alias)
    throw new CliError(
      `this controller is already in the client store as "${alias}"`,
      `Run 'ferry login -c ${alias}' to log in to it.`,
    );

  ctx.info(`Controller "${info.name}" (${info.uuid}) at ${address}`);
  ctx.info(`CA fingerprint: ${fetched.fingerprint}`);
  await decideTrust(opts, fetched.fingerprint, existing?.caFingerprint === fetched.fingerprint);

  const user = await chooseUser(opts, (await ctx.store.account(name))?.user);
  const password = await readPassword(`password for ${user}: `);
  const clients = connect({ address, caPem: fetched.caPem });
  let res: LoginResponse;
  try {
    res = await loginWith(clients, user, password);
  } finally {
    clients.close();
  }
  const record = controllerRecordFrom(info, fetched.caPem, fetched.fingerprint, address);
  await ctx.store.putController(
    name,
    existing?.dataDir ? { ...record, dataDir: existing.dataDir, pidFile: existing.pidFile, pid: existing.pid } : record,
  );
  const account = accountFrom(res, user);
  await ctx.store.putAccount(name, account);
  await ctx.store.setCurrentController(name);
  await refreshQuietly(ctx, name);
  ctx.out(`Welcome, ${account.user}. You are now logged in to controller "${name}".`);
}

async function loginAgain(ctx: CliContext, opts: Opts): Promise<void> {
  const name = await ctx.controllerName(opts.controller);
  const stored = await ctx.store.account(name);
  const user = await chooseUser(opts, stored?.user);
  const password = await readPassword(`password for ${user} on ${name}: `);
  const session = await ctx.anonymous(name);
  const res = await loginWith(session.clients, user, password);
  const account = accountFrom(res, user);
  await ctx.store.putAccount(name, account);
  // Every login refreshes the addresses the client knows (the controller may have gained or lost nodes).
  await ctx.refreshAddresses(name, session.clients);
  await ctx.store.setCurrentController(name);
  await refreshQuietly(ctx, name);
  ctx.out(`Welcome, ${account.user}. You are now logged in to controller "${name}".`);
}

export async function login(ctx: CliContext, opts: Opts, address?: string): Promise<void> {
  if (address) await registerAndLogin(ctx, opts, address);
  else await loginAgain(ctx, opts);
}

export async function logout(ctx: CliContext, opts: Opts): Promise<void> {
  const name = await ctx.controllerName(opts.controller);
  const account = await ctx.store.account(name);
  if (!account?.token) {
    ctx.out(`Not logged in to controller "${name}".`);
    return;
  }
  try {
    const session = await ctx.session(name);
    await session.clients.controller.logout({});
  } catch (err) {
    // An expired or revoked token, or an unreachable controller: forgetting
    // the token locally is still what the user asked for.
    if (!(err instanceof ConnectError)) throw err;
  }
  // The kept bootstrap password goes too: logging out means this client can
  // no longer act as that user until someone logs in again.
  const { token: _token, tokenExpiry: _expiry, password: _password, ...rest } = account;
  await ctx.store.putAccount(name, rest);
  ctx.out(`Logged out of controller "${name}".`);
}
