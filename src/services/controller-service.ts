// ControllerService: identity, login, users and access, migration tokens,
// backups.

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ControllerService, type UserSchema } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ControllerAccess, ModelAccess } from "../../gen/ts/ferry/v1/resources_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  accessAfterRevoke,
  maxModelAccess,
  type ControllerAccessLevel,
  type ModelAccessLevel,
} from "../domain/access.js";
import type { ControllerIdentity } from "../domain/controller.js";
import { hashPassword, hashToken, MIN_PASSWORD_LENGTH, newToken, verifyPassword } from "../domain/credentials.js";
import { validateUserName } from "../domain/names.js";
import { isUniqueViolation, type Store, type UserRow } from "../store/index.js";
import { createBackupHandler } from "./backup-service.js";
import { principalOf, superuserOf, userOf } from "./context.js";
import { processLoad, WINDOWS_MS } from "../load.js";
import {
  alreadyExists,
  badField,
  ferryError,
  notFound,
  permissionDenied,
  resourceExhausted,
  unauthenticated,
} from "./errors.js";
import { resolveIn } from "./model-access.js";
import { liveModel } from "./model-service-support.js";
import { FREE_FAILURES_PER_USER, FREE_FAILURES_PER_USER_ALL_PEERS, LoginThrottle } from "./login-throttle.js";
import { decodePageToken, encodePageToken, pageSize } from "./paging.js";
import { peerAddressKey } from "../transport/index.js";

/** A node of the controller as GetControllerInfo shows it (cluster/cluster.ts NodeInfo). */
export interface NodeView {
  id: string;
  addresses: string[];
  version: string;
  startedAt: number;
  heartbeatAt: number;
  live: boolean;
  self: boolean;
}

export interface ControllerServiceDeps {
  store: Store;
  /** The nodes serving the controller, recently read (absent: none listed). */
  nodes?: () => Promise<NodeView[]>;
  /** The controller's data dir (backups carry its PKI and secrets). */
  dataDir: string;
  /** Agents connected to a model, on any node (GetControllerLoad). */
  agentsConnected?: (modelUuid: string) => Promise<string[]>;
  /** This node's id (GetControllerLoad). */
  nodeId?: () => string;
  controller: ControllerIdentity;
  /** Lifetime of login tokens. */
  tokenTtlMs: number;
  /** Lifetime of migration-scoped tokens. */
  migrationTokenTtlMs: number;
  /**
   * Test knob (FERRY_LOGIN_TEST_DELAY_MS): a login this much slower, given up
   * when the call ends, so deadline tests do not depend on how fast the
   * password hash is on the machine at hand.
   */
  loginDelayMs?: number;
  log?: {
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
  };
}

const CONTROLLER_ACCESS_TO_PROTO: Record<ControllerAccessLevel, ControllerAccess> = {
  login: ControllerAccess.LOGIN,
  "add-model": ControllerAccess.ADD_MODEL,
  superuser: ControllerAccess.SUPERUSER,
};

export function controllerAccessFromProto(a: ControllerAccess): ControllerAccessLevel | undefined {
  return (Object.keys(CONTROLLER_ACCESS_TO_PROTO) as ControllerAccessLevel[]).find(
    (k) => CONTROLLER_ACCESS_TO_PROTO[k] === a,
  );
}

const MODEL_ACCESS_TO_PROTO: Record<ModelAccessLevel, ModelAccess> = {
  read: ModelAccess.READ,
  write: ModelAccess.WRITE,
  admin: ModelAccess.ADMIN,
};

export function modelAccessToProto(a: string | undefined): ModelAccess {
  return a && a in MODEL_ACCESS_TO_PROTO ? MODEL_ACCESS_TO_PROTO[a as ModelAccessLevel] : ModelAccess.UNSPECIFIED;
}

export function modelAccessFromProto(a: ModelAccess): ModelAccessLevel | undefined {
  return (Object.keys(MODEL_ACCESS_TO_PROTO) as ModelAccessLevel[]).find((k) => MODEL_ACCESS_TO_PROTO[k] === a);
}

function userToProto(u: UserRow): MessageInitShape<typeof UserSchema> {
  return {
    name: u.name,
    displayName: u.displayName,
    access: CONTROLLER_ACCESS_TO_PROTO[u.access as ControllerAccessLevel] ?? ControllerAccess.UNSPECIFIED,
    createdBy: u.createdBy,
    createTime: timestampFromMs(u.createdAt),
    lastLoginTime: u.lastLoginAt ? timestampFromMs(u.lastLoginAt) : undefined,
    disabled: u.disabled,
  };
}

function checkPassword(password: string, field = "password"): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badField(field, `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > 1024) throw badField(field, "password is too long (max 1024 characters)");
}

async function existingUser(store: Store, name: string, field = "user"): Promise<UserRow> {
  const err = validateUserName(name);
  if (err) throw badField(field, err);
  const u = await store.read((tx) => tx.users.get(name));
  if (!u) throw notFound(`user "${name}"`, "USER_NOT_FOUND");
  return u;
}

export function createControllerService(deps: ControllerServiceDeps): ServiceImpl<typeof ControllerService> {
  const { store, controller } = deps;
  const throttle = new LoginThrottle();
  return {
    // Streams a backup archive; lives in its own module (backup-service.ts).
    createBackup: createBackupHandler({ store, dataDir: deps.dataDir, controller, log: deps.log }),

    async getControllerInfo() {
      // First: reading the nodes also refreshes the controller's addresses.
      const nodes = (await deps.nodes?.()) ?? [];
      return {
        controller: {
          name: controller.name,
          uuid: controller.uuid,
          version: controller.version,
          cloud: controller.cloud,
          cloudType: controller.cloudType,
          region: controller.region,
          regions: controller.regions,
          apiAddresses: controller.addresses,
          caCert: controller.caCertPem,
          caFingerprint: controller.caFingerprint,
          controllerModelUuid: controller.controllerModelUuid,
          storeEngine: store.engine,
          nodes: nodes.map((n) => ({
            id: n.id,
            apiAddresses: n.addresses,
            version: n.version,
            startTime: timestampFromMs(n.startedAt),
            heartbeatTime: timestampFromMs(n.heartbeatAt),
            live: n.live,
            answering: n.self,
          })),
        },
      };
    },

    async getControllerLoad(_req, ctx) {
      superuserOf(ctx);
      const rows: { uuid: string; name: string; owner: string; entities: number; isController: boolean }[] = [];
      let after: { owner: string; name: string } | undefined;
      for (;;) {
        const page = await store.read(async (tx) => {
          const models = await tx.models.listPage({ user: "", all: true, limit: 1000, after });
          const counts = await tx.models.counts(models.slice(0, 1000).map((m) => m.uuid));
          return { models, counts };
        });
        for (const m of page.models.slice(0, 1000)) {
          const c = page.counts.get(m.uuid);
          rows.push({
            uuid: m.uuid,
            name: m.name,
            owner: m.owner,
            entities: (c?.machines ?? 0) + (c?.units ?? 0),
            isController: m.isController,
          });
        }
        if (page.models.length <= 1000) break;
        const last = page.models[999]!;
        after = { owner: last.owner, name: last.name };
      }
      const rates = {
        one: new Map(processLoad.models.rates(WINDOWS_MS.oneMinute).map((r) => [r.uuid, r])),
        five: new Map(processLoad.models.rates(WINDOWS_MS.fiveMinutes).map((r) => [r.uuid, r])),
        fifteen: new Map(processLoad.models.rates(WINDOWS_MS.fifteenMinutes).map((r) => [r.uuid, r])),
      };
      const of = (uuid: string, kind: "read" | "write" | "report") => ({
        oneMinute: rates.one.get(uuid)?.[kind] ?? 0,
        fiveMinutes: rates.five.get(uuid)?.[kind] ?? 0,
        fifteenMinutes: rates.fifteen.get(uuid)?.[kind] ?? 0,
      });
      let agentsTotal = 0;
      type Rates = { oneMinute: number; fiveMinutes: number; fifteenMinutes: number };
      const models: {
        modelUuid: string;
        modelName: string;
        modelOwner: string;
        reads: Rates;
        writes: Rates;
        statusReports: Rates;
        watchStreams: number;
        agentsConnected: number;
        entities: bigint;
        isController: boolean;
      }[] = [];
      for (const r of rows) {
        const agents = deps.agentsConnected ? (await deps.agentsConnected(r.uuid)).length : 0;
        agentsTotal += agents;
        models.push({
          modelUuid: r.uuid,
          modelName: r.name,
          modelOwner: r.owner,
          reads: of(r.uuid, "read"),
          writes: of(r.uuid, "write"),
          statusReports: of(r.uuid, "report"),
          watchStreams: processLoad.streamsOpen(r.uuid),
          agentsConnected: agents,
          entities: BigInt(r.entities),
          isController: r.isController,
        });
      }
      const busy = (m: (typeof models)[number]) => m.reads.oneMinute + m.writes.oneMinute + m.statusReports.oneMinute;
      models.sort(
        (a, b) => busy(b) - busy(a) || `${a.modelOwner}/${a.modelName}`.localeCompare(`${b.modelOwner}/${b.modelName}`),
      );
      const fig = processLoad.figures();
      return {
        node: {
          nodeId: deps.nodeId?.() ?? "",
          calls: processLoad.callRates(),
          eventLoopLagP99Seconds: processLoad.lagP99Seconds(),
          rssBytes: BigInt(fig.rssBytes),
          cpuPercent: fig.cpuPercent,
          models: rows.length,
          agentsConnected: agentsTotal,
        },
        models,
      };
    },

    async login(req, ctx) {
      if (!req.user) throw badField("user", "a user name is required");
      const peer = ctx.values.get(peerAddressKey);
      const wait = throttle.retryAfterMs(req.user, peer);
      if (wait > 0) {
        // Refused before the password is looked at: guessing costs the guesser time, not us CPU.
        throw resourceExhausted(
          "LOGIN_THROTTLED",
          `too many failed logins: try again in ${Math.ceil(wait / 1000)} s`,
          wait,
        );
      }
      if (deps.loginDelayMs) {
        await delay(deps.loginDelayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
        if (ctx.signal.aborted) throw new ConnectError("the call ended before the login finished", Code.Canceled);
      }
      const u = validateUserName(req.user) ? undefined : await store.read((tx) => tx.users.get(req.user));
      // Always run the slow hash, so a missing user costs the same time as a
      // wrong password and the answer does not tell them apart.
      const ok = await verifyPassword(req.password, u?.passwordHash);
      if (!u || !ok || u.disabled) {
        const { fromPeer, fromAll } = throttle.failed(req.user, peer);
        if (fromPeer === FREE_FAILURES_PER_USER + 1 || fromPeer % 50 === 0) {
          // Never the password; the user name as typed, cut short.
          deps.log?.warn("login throttled after repeated failures", {
            user: req.user.slice(0, 64),
            peer,
            failures: fromPeer,
          });
        }
        if (fromAll === FREE_FAILURES_PER_USER_ALL_PEERS + 1 || fromAll % 500 === 0) {
          deps.log?.warn("login throttled for this user from every untrusted address", {
            user: req.user.slice(0, 64),
            failures: fromAll,
          });
        }
        throw unauthenticated("invalid user name or password", "INVALID_CREDENTIALS");
      }
      throttle.succeeded(req.user, peer);
      const token = newToken();
      const now = Date.now();
      const expiresAt = now + deps.tokenTtlMs;
      await store.write(async (tx) => {
        await tx.tokens.insert({ hash: hashToken(token), kind: "user", user: u.name, now, expiresAt });
        await tx.users.recordLogin(u.name, now);
      });
      deps.log?.info("user logged in", { user: u.name });
      return { token, expireTime: timestampFromMs(expiresAt), user: userToProto({ ...u, lastLoginAt: now }) };
    },

    async logout(_req, ctx) {
      const p = principalOf(ctx);
      await store.write((tx) => tx.tokens.delete(p.tokenHash));
      return {};
    },

    async whoAmI(_req, ctx) {
      const p = userOf(ctx);
      const u = await store.read((tx) => tx.users.get(p.user));
      if (!u) throw unauthenticated("user no longer exists", "USER_DISABLED");
      return { user: userToProto(u), controllerName: controller.name };
    },

    async createUser(req, ctx) {
      const p = superuserOf(ctx);
      const nameErr = validateUserName(req.name);
      if (nameErr) throw badField("name", nameErr);
      if (req.password) checkPassword(req.password);
      if (req.displayName.length > 200) throw badField("display_name", "display name is too long (max 200 characters)");
      const access = req.access === ControllerAccess.UNSPECIFIED ? "login" : controllerAccessFromProto(req.access);
      if (!access) throw badField("access", "unknown controller access level");
      if (await store.read((tx) => tx.users.exists(req.name))) {
        throw alreadyExists(`user "${req.name}" already exists`, "USER_EXISTS");
      }
      if (req.validateOnly) {
        return {
          user: {
            name: req.name,
            displayName: req.displayName,
            access: CONTROLLER_ACCESS_TO_PROTO[access] ?? ControllerAccess.UNSPECIFIED,
            createdBy: p.user,
          },
        };
      }
      const hash = req.password ? await hashPassword(req.password) : null;
      try {
        const row = await store.write((tx) =>
          tx.users.insert({
            name: req.name,
            displayName: req.displayName,
            passwordHash: hash,
            access,
            createdBy: p.user,
            now: Date.now(),
          }),
        );
        deps.log?.info("user created", { user: req.name, by: p.user });
        return { user: userToProto(row) };
      } catch (e) {
        // Two concurrent creates of the same name: the second loses the race.
        if (isUniqueViolation(e)) throw alreadyExists(`user "${req.name}" already exists`, "USER_EXISTS");
        throw e;
      }
    },

    async listUsers(req, ctx) {
      const p = userOf(ctx);
      if (p.controllerAccess !== "superuser") {
        const me = await store.read((tx) => tx.users.get(p.user));
        return { users: me ? [userToProto(me)] : [], nextPageToken: "" };
      }
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, "page_token");
      const rows = await store.read((tx) => tx.users.list(after, size + 1));
      const page = rows.slice(0, size);
      return {
        users: page.map(userToProto),
        nextPageToken: rows.length > size ? encodePageToken(page[page.length - 1].name) : "",
      };
    },

    async setUserPassword(req, ctx) {
      const p = userOf(ctx);
      const target = req.user || p.user;
      if (target !== p.user && p.controllerAccess !== "superuser") {
        throw permissionDenied("permission denied: only a superuser may set another user's password");
      }
      await existingUser(store, target);
      checkPassword(req.password);
      const hash = await hashPassword(req.password);
      await store.write(async (tx) => {
        await tx.users.setPasswordHash(target, hash);
        // A new password ends every other session of that user.
        await tx.tokens.deleteUserTokens(target, target === p.user ? p.tokenHash : undefined);
      });
      deps.log?.info("password changed", { user: target, by: p.user });
      return {};
    },

    async grantModelAccess(req, ctx) {
      const p = userOf(ctx);
      const level = modelAccessFromProto(req.access);
      if (!level) throw badField("access", "access must be read, write or admin");
      // A write: the model's users travel with it, so a migrating model refuses it.
      const { model } = await resolveIn(store, p, req.model, "admin", { write: true });
      await existingUser(store, req.user);
      const result = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const current = (await tx.models.grantedAccess(model.uuid, req.user)) as ModelAccessLevel | undefined;
        const next = maxModelAccess(current, level);
        await tx.models.setAccess(model.uuid, req.user, next);
        return next;
      });
      deps.log?.info("model access granted", { user: req.user, model: model.uuid, access: result, by: p.user });
      return { access: modelAccessToProto(result) };
    },

    async revokeModelAccess(req, ctx) {
      const p = userOf(ctx);
      const level = modelAccessFromProto(req.access);
      if (!level) throw badField("access", "access must be read, write or admin");
      const { model } = await resolveIn(store, p, req.model, "admin", { write: true });
      await existingUser(store, req.user);
      if (req.user === model.owner) {
        throw ferryError(
          Code.FailedPrecondition,
          "OWNER_ACCESS",
          `cannot revoke access of the model owner "${model.owner}"`,
        );
      }
      const result = await store.write(async (tx) => {
        await liveModel(tx, model.uuid);
        const current = (await tx.models.grantedAccess(model.uuid, req.user)) as ModelAccessLevel | undefined;
        const next = accessAfterRevoke(current, level);
        await tx.models.setAccess(model.uuid, req.user, next);
        return next;
      });
      deps.log?.info("model access revoked", {
        user: req.user,
        model: model.uuid,
        access: result ?? "none",
        by: p.user,
      });
      return { access: modelAccessToProto(result) };
    },

    async setControllerAccess(req, ctx) {
      const p = superuserOf(ctx);
      const access = controllerAccessFromProto(req.access);
      if (!access) throw badField("access", "access must be login, add-model or superuser");
      await existingUser(store, req.user);
      if (req.user === "admin" && access !== "superuser") {
        throw ferryError(Code.FailedPrecondition, "LAST_SUPERUSER", "the admin user must stay a superuser");
      }
      await store.write((tx) => tx.users.setControllerAccess(req.user, access));
      deps.log?.info("controller access set", { user: req.user, access, by: p.user });
      return {};
    },

    async createMigrationToken(req, ctx: HandlerContext) {
      const p = superuserOf(ctx);
      const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      if (!UUID_RE.test(req.modelUuid)) throw badField("model_uuid", "must be a model UUID");
      if (!UUID_RE.test(req.sourceControllerUuid))
        throw badField("source_controller_uuid", "must be a controller UUID");
      if (req.sourceControllerUuid === controller.uuid) {
        throw ferryError(Code.FailedPrecondition, "SAME_CONTROLLER", "model already on destination controller");
      }
      const token = newToken();
      const now = Date.now();
      const expiresAt = now + deps.migrationTokenTtlMs;
      await store.write((tx) =>
        tx.tokens.insert({
          hash: hashToken(token),
          kind: "migration",
          user: p.user,
          modelUuid: req.modelUuid,
          sourceControllerUuid: req.sourceControllerUuid,
          now,
          expiresAt,
        }),
      );
      deps.log?.info("migration token issued", { model: req.modelUuid, source: req.sourceControllerUuid, by: p.user });
      return { token, expireTime: timestampFromMs(expiresAt) };
    },
  };
}
