// add-machine, deploy, add-unit, remove-unit, integrate, remove-relation.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
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
