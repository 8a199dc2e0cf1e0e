// add-machine, deploy, add-unit, remove-unit, integrate, remove-relation,
// remove-application, remove-machine, expose, unexpose.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UploadCharmRequestSchema } from "../../../gen/ts/ferry/v1/model_pb.js";
import type { CliContext, Session } from "../context.js";
import { CliError } from "../errors.js";
import type { Opts } from "../run.js";
import { parseKeyValues } from "./parse.js";

const CHUNK = 1024 * 1024; // the API's maximum chunk size

export async function addMachine(ctx: CliContext, opts: Opts): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  let base;
  if (opts.base) {
    const [name, channel] = String(opts.base).split("@");
    if (!name || !channel)
      throw new CliError(`invalid base "${opts.base}": expected <name>@<channel>, e.g. ubuntu@24.04`);
    base = { name, channel };
  }
  const res = await session.clients.model.addMachines({ model: target.model, count: opts.numMachines ?? 1, base });
  for (const m of res.machines) ctx.out(`created machine ${m.id}`);
}

/** A charm argument that names a file rather than a built-in charm. */
async function localCharmPath(charm: string): Promise<string | undefined> {
  const looksLikePath = charm.includes("/") || charm.startsWith(".") || /\.(charm|zip)$/.test(charm);
  const st = await stat(charm).catch(() => undefined);
  if (st?.isFile()) return charm;
  if (looksLikePath) throw new CliError(`charm archive "${charm}" not found`);
  return undefined;
}

async function uploadCharm(session: Session, model: string, path: string): Promise<string> {
  const bytes = await readFile(path);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  async function* messages(): AsyncIterable<MessageInitShape<typeof UploadCharmRequestSchema>> {
    yield { data: { case: "metadata", value: { model, size: BigInt(bytes.length), sha256 } } };
    for (let off = 0; off < bytes.length; off += CHUNK) {
      yield { data: { case: "chunk", value: bytes.subarray(off, off + CHUNK) } };
    }
  }
  const res = await session.clients.model.uploadCharm(messages());
  if (!res.charm?.url) throw new Error(`the controller did not return the uploaded charm for ${basename(path)}`);
  return res.charm.url;
}

export async function deploy(ctx: CliContext, opts: Opts, charm: string, application?: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const path = await localCharmPath(charm);
  const charmRef = path ? await uploadCharm(session, target.model, path) : charm;
  const res = await session.clients.model.deployApplication({
    model: target.model,
    charm: charmRef,
    application: application ?? "",
    numUnits: opts.numUnits ?? 1,
    to: opts.to ?? "",
    config: parseKeyValues(opts.config),
  });
  const app = res.application;
  if (!app) throw new Error("the controller returned no application");
  const n = app.units.length || app.unitCount;
  ctx.out(
    `Deployed "${app.name}" from charm "${app.charm}" (revision ${app.charmRev}) with ${n} unit${n === 1 ? "" : "s"}`,
  );
  await waitIfAsked(ctx, opts, "application", app.name);
}

/** --wait [timeout]: until the application (or unit) has settled, as `ferry wait-for` waits. */
async function waitIfAsked(ctx: CliContext, opts: Opts, kind: "application" | "unit", name: string): Promise<void> {
  if (opts.wait === undefined || opts.wait === false) return;
  const { waitFor } = await import("./wait-for.js");
  await waitFor(ctx, { model: opts.model, timeout: opts.wait === true ? "10m" : String(opts.wait) }, kind, name);
}

export async function addUnit(ctx: CliContext, opts: Opts, application: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.addUnits({
    model: target.model,
    application,
    count: opts.numUnits ?? 1,
    to: opts.to ?? "",
  });
  for (const u of res.units) ctx.out(`added unit ${u.name} on machine ${u.machine}`);
  for (const u of res.units) await waitIfAsked(ctx, opts, "unit", u.name);
}

export async function removeUnit(ctx: CliContext, opts: Opts, units: string[]): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  await session.clients.model.removeUnits({ model: target.model, units });
  for (const u of units) ctx.out(`removed unit ${u}`);
}

export async function integrate(ctx: CliContext, opts: Opts, a: string, b: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.addRelation({ model: target.model, endpoints: [a, b] });
  ctx.out(`Integrated ${res.relation?.key ?? `${a} ${b}`}`);
}

export async function removeRelation(ctx: CliContext, opts: Opts, a: string, b?: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  if (b === undefined && !/^\d+$/.test(a)) {
    throw new CliError("name both endpoints of the relation, or give its id alone");
  }
  const req =
    b === undefined ? { model: target.model, relationId: Number(a) } : { model: target.model, endpoints: [a, b] };
  await session.clients.model.removeRelation(req);
  ctx.out(b === undefined ? `Removed relation ${a}` : `Removed relation between ${a} and ${b}`);
}

export async function removeApplication(ctx: CliContext, opts: Opts, applications: string[]): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  for (const application of applications) {
    const res = await session.clients.model.removeApplication({ model: target.model, application });
    ctx.out(`will remove application ${application}`);
    for (const u of res.units) ctx.out(`- will remove unit ${u}`);
    for (const id of res.relationIds) ctx.out(`- removed relation ${id}`);
  }
}

export async function removeMachine(ctx: CliContext, opts: Opts, machines: string[]): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  try {
    const res = await session.clients.model.removeMachines({ model: target.model, machines, force: !!opts.force });
    for (const m of machines) ctx.out(`will remove machine ${m}`);
    for (const u of res.units) ctx.out(`- will remove unit ${u}`);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.FailedPrecondition && /hosts unit/.test(err.rawMessage)) {
      const msg = err.rawMessage.replace(/: remove (it|them) first, or force.*$/, "");
      throw new CliError(msg, `Remove its units first ('ferry remove-unit'), or add --force to remove them with it.`);
    }
    throw err;
  }
}

export async function expose(ctx: CliContext, opts: Opts, application: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.exposeApplication({ model: target.model, application });
  ctx.out(res.changed ? `exposed ${application}` : `${application} is already exposed`);
}

export async function unexpose(ctx: CliContext, opts: Opts, application: string): Promise<void> {
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const res = await session.clients.model.unexposeApplication({ model: target.model, application });
  ctx.out(res.changed ? `unexposed ${application}` : `${application} is not exposed`);
}
