// Two (or more) real ferryd processes for migration tests: logins, a model
// with some of everything, starting a migration the way the CLI does
// (destination-issued token), waiting for phases, and a content snapshot
// that ignores times and the model's own status line.
import { ConnectError, type Client } from "@connectrpc/connect";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { MigrationService, type Migration } from "../../gen/ts/ferry/v1/migration_pb.js";
import { ModelService, type FullStatus } from "../../gen/ts/ferry/v1/model_pb.js";
import { MigrationPhase, ModelAccess, type StatusInfo } from "../../gen/ts/ferry/v1/resources_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { clientFor, startFerryd, storeOf, type Ferryd, type FerrydOptions } from "../helpers/ferryd.js";

export { MigrationPhase };

export interface Ctl {
  d: Ferryd;
  uuid: string;
  admin: string;
  ctl: Client<typeof ControllerService>;
  model: Client<typeof ModelService>;
  mig: Client<typeof MigrationService>;
}

/** Fast retries so a dead destination aborts within seconds. */
export const FAST_ENV = { FERRY_MIGRATION_RETRY_MS: "1500", FERRY_PROVISION_DELAY_MS: "5" };

export async function login(d: Pick<Ferryd, "address" | "caPem">, user: string, password: string): Promise<string> {
  return (await clientFor(d, ControllerService).login({ user, password })).token;
}

export async function attach(d: Ferryd): Promise<Ctl> {
  const admin = await login(d, "admin", d.adminPassword);
  const ctl = clientFor(d, ControllerService, admin);
  const { controller } = await ctl.getControllerInfo({});
  return {
    d,
    uuid: controller!.uuid,
    admin,
    ctl,
    model: clientFor(d, ModelService, admin),
    mig: clientFor(d, MigrationService, admin),
  };
}

export async function startCtl(name: string, opts: FerrydOptions = {}): Promise<Ctl> {
  const d = await startFerryd({ name, ...opts, env: { ...FAST_ENV, ...opts.env } });
  return attach(d);
}

/**
 * Restarts a controller on its data dir with a new environment: on a new
 * port, or with `samePort` on the one it had (so that a peer that recorded
 * its address reaches it again).
 */
export async function restartCtl(
  c: Ctl,
  env: Record<string, string> = {},
  opts: { samePort?: boolean; args?: string[] } = {},
): Promise<Ctl> {
  await c.d.stop();
  const args = [
    ...(opts.samePort ? ["--listen", `127.0.0.1:${c.d.address.split(":").pop()!}`] : []),
    ...(opts.args ?? []),
  ];
  return attach(
    await startFerryd({
      name: c.d.name,
      dataDir: c.d.dataDir,
      store: storeOf(c.d),
      env: { ...FAST_ENV, ...env },
      args,
    }),
  );
}

export async function ensureUsers(c: Ctl, names: string[]): Promise<void> {
  for (const name of names) {
    await c.ctl.createUser({ name, password: `${name}-password` }).catch((e: unknown) => {
      if (!(e instanceof ConnectError && /already exists/.test(e.rawMessage))) throw e;
    });
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A model with machines, two applications with units, a relation, config and extra users. */
export async function buildModel(c: Ctl, name: string, users: Record<string, ModelAccess> = {}): Promise<string> {
  const { model } = await c.model.createModel({ name, config: { "logging-level": "DEBUG" } });
  const m = `admin/${name}`;
  await c.model.addMachines({ model: m, count: 2 });
  await c.model.deployApplication({
    model: m,
    charm: "postgresql",
    application: "pg",
    numUnits: 2,
    config: { port: "6543" },
  });
  await c.model.deployApplication({ model: m, charm: "wordpress", application: "wp", numUnits: 1, to: "0" });
  await c.model.addRelation({ model: m, endpoints: ["wp:db", "pg:db"] });
  await c.model.updateModelConfig({ model: m, set: { "default-base": "ubuntu@22.04" } });
  for (const [user, access] of Object.entries(users)) await c.ctl.grantModelAccess({ model: m, user, access });
  await waitSettled(c, m);
  return model!.uuid;
}

export async function waitSettled(c: Ctl, m: string): Promise<void> {
  await waitFor(`model ${m} to settle`, async () => {
    const st = (await c.model.getStatus({ model: m })).status!;
    const units = st.applications.flatMap((a) => a.units);
    return (
      st.machines.every((x) => x.agentStatus?.current === "started") &&
      units.every((u) => u.agentStatus?.current === "idle") &&
      st.relations.every((r) => r.status?.current === "joined")
    );
  });
}

/** Starts a migration the way `ferry migrate` does: a token from the destination, then StartMigration. */
export async function migrate(src: Ctl, dst: Ctl, model: string, modelUuid: string, alias = "dst"): Promise<Migration> {
  const { token } = await dst.ctl.createMigrationToken({ modelUuid, sourceControllerUuid: src.uuid });
  const res = await src.mig.startMigration({
    model,
    target: { controllerUuid: dst.uuid, controllerName: alias, addresses: [dst.d.address], caCert: dst.d.caPem, token },
  });
  return res.migration!;
}

export const TERMINAL = [MigrationPhase.DONE, MigrationPhase.ABORTDONE, MigrationPhase.REAPFAILED];

export async function waitPhase(
  c: Ctl,
  id: string,
  phases: MigrationPhase[] = TERMINAL,
  timeoutMs = 30_000,
): Promise<Migration> {
  return waitFor(
    `migration ${id} to reach ${phases.map((p) => MigrationPhase[p]).join("/")}`,
    async () => {
      const m = (await c.mig.getMigration({ id })).migration!;
      return phases.includes(m.phase) ? m : undefined;
    },
    timeoutMs,
  );
}

/** The user-visible content of a model, without times and without the model's own status. */
export async function content(c: Ctl, m: string): Promise<unknown> {
  const st = (await c.model.getStatus({ model: m })).status!;
  const cfg = (await c.model.getModelConfig({ model: m })).config;
  const apps: Record<string, unknown> = {};
  for (const a of st.applications) {
    apps[a.name] = (await c.model.getApplicationConfig({ model: m, application: a.name })).config;
  }
  return JSON.parse(
    JSON.stringify({ status: strip(st), config: cfg, appConfig: apps }, (k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : k === "$typeName" ? undefined : v,
    ),
  );
}

function strip(st: FullStatus): unknown {
  const clean = (s?: StatusInfo) => (s ? { current: s.current, message: s.message } : undefined);
  const model = st.model!;
  return {
    model: {
      name: model.name,
      owner: model.owner,
      uuid: model.uuid,
      cloud: model.cloud,
      region: model.region,
      life: model.life,
      agentVersion: model.agentVersion,
      users: model.users.map((u) => ({ user: u.user, access: u.access })),
      machineCount: model.machineCount,
      unitCount: model.unitCount,
    },
    machines: st.machines.map((x) => ({
      ...x,
      agentStatus: clean(x.agentStatus),
      instanceStatus: clean(x.instanceStatus),
    })),
    applications: st.applications.map((a) => ({
      ...a,
      status: clean(a.status),
      units: a.units.map((u) => ({ ...u, agentStatus: clean(u.agentStatus), workloadStatus: clean(u.workloadStatus) })),
    })),
    relations: st.relations.map((r) => ({ ...r, status: clean(r.status) })),
  };
}

export async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

export function reasonOf(e: ConnectError): string | undefined {
  return e.findDetails(ErrorInfoSchema)[0]?.reason;
}
