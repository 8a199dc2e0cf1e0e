// An in-memory ModelService over a real SQLite store, called through the
// Connect router transport with a chosen principal per client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Client,
  type Interceptor,
} from "@connectrpc/connect";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { ControllerAccessLevel } from "../../src/domain/access.js";
import type { ControllerIdentity } from "../../src/domain/controller.js";
import { principalKey, type Principal } from "../../src/services/context.js";
import { migrationSummaryOf } from "../../src/services/migration-service.js";
import { createModelService } from "../../src/services/model-service.js";
import { createSimulator, type Simulator } from "../../src/services/simulator.js";
import type { ChangeHub, Store } from "../../src/store/index.js";
import { openTestStore, startTestNode, type Engine } from "../helpers/stores.js";

export const controller: ControllerIdentity = {
  uuid: "3b4e0c57-0000-4000-8000-000000000001",
  name: "src",
  version: "1.0.0",
  cloud: "localhost",
  cloudType: "lxd",
  region: "localhost",
  regions: ["localhost", "other"],
  addresses: ["127.0.0.1:17070"],
  caCertPem: "",
  caFingerprint: "",
  controllerModelUuid: "",
};

export interface Harness {
  store: Store;
  /** A data dir of the harness's own (the SQLite file lives here; PKI and keys may go here). */
  dataDir: string;
  changes: ChangeHub;
  simulator: Simulator;
  as(user: string): Client<typeof ModelService>;
  grant(modelUuid: string, user: string, access: "read" | "write" | "admin"): Promise<void>;
  close(): Promise<void>;
}

const USERS: Record<string, ControllerAccessLevel> = {
  admin: "superuser",
  alice: "add-model",
  bob: "login",
  carol: "login",
};

export async function startHarness(
  opts: { delayMs?: number; watchIntervalMs?: number; engine?: Engine } = {},
): Promise<Harness> {
  const t = await openTestStore(opts.engine ?? "sqlite");
  const store = t.store;
  const dataDir = t.spec.engine === "sqlite" ? dirname(t.spec.file) : mkdtempSync(join(tmpdir(), "ferry-harness-"));
  await store.write(async (tx) => {
    for (const [name, access] of Object.entries(USERS)) {
      await tx.users.insert({ name, access, passwordHash: null, createdBy: "", now: Date.now() });
    }
    const m = await tx.models.create({
      name: "controller",
      owner: "admin",
      isController: true,
      cloud: controller.cloud,
      cloudType: controller.cloudType,
      region: controller.region,
      agentVersion: controller.version,
    });
    controller.controllerModelUuid = m.uuid;
  });
  const changes = store.changes;
  const node = await startTestNode(store, { dataDir });
  const simulator = createSimulator({ store, leases: node, delayMs: opts.delayMs ?? 5 });
  const service = createModelService({
    store,
    controller,
    changes,
    simulator,
    migrationSummary: migrationSummaryOf,
    watchIntervalMs: opts.watchIntervalMs ?? 20,
  });
  const clients = new Map<string, Client<typeof ModelService>>();
  return {
    store,
    dataDir,
    changes,
    simulator,
    as(user) {
      let c = clients.get(user);
      if (!c) {
        const principal: Principal = {
          kind: "user",
          user,
          controllerAccess: USERS[user] ?? "login",
          tokenHash: `t-${user}`,
        };
        // What the transport's auth hook does for a valid token.
        const authenticate: Interceptor = (next) => (req) => {
          req.contextValues.set(principalKey, principal);
          return next(req);
        };
        const transport = createRouterTransport((r) => r.service(ModelService, service), {
          router: { interceptors: [authenticate] },
        });
        c = createClient(ModelService, transport);
        clients.set(user, c);
      }
      return c;
    },
    async grant(modelUuid, user, access) {
      await store.write((tx) => tx.models.setAccess(modelUuid, user, access));
    },
    async close() {
      simulator.stop();
      await node.stop();
      await t.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs fn and returns the ConnectError it failed with. */
export async function failure(fn: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await fn();
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

export function reasonOf(e: ConnectError): string | undefined {
  return e.findDetails(ErrorInfoSchema)[0]?.reason;
}

export function badFields(e: ConnectError): string[] {
  return e.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field));
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { Code };
