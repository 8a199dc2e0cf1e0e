// AgentService: machine and unit agents (simulated) talking to their
// controller (migration.md §6). Agents log in with their tag and password
// (the scrypt hash travels with the model) and get a token of kind "agent"
// bound to the model, good only for this service. While an agent watches its
// model's migration status it counts as connected (recorded in the store, so
// a worker on any node sees it): the migration worker waits for reports from
// the agents connected when a phase starts.
import type { ServiceImpl } from "@connectrpc/connect";
import { AgentService } from "../../gen/ts/ferry/v1/agent_pb.js";
import { MigrationPhase } from "../../gen/ts/ferry/v1/resources_pb.js";
import { hashToken, newToken, verifyPassword } from "../domain/credentials.js";
import { isPhase } from "../domain/phases.js";
import { phaseFromProto, phaseToProto } from "../migration/mapping.js";
import { parseAgentTag, type ChangeHub, type MigrationRow, type Store } from "../store/index.js";
import { principalOf, type Principal } from "./context.js";
import { badField, notFound, permissionDenied, unauthenticated } from "./errors.js";
import { migratingError } from "./model-access.js";
import { ChangeWaiter } from "./model-service-streams.js";

/**
 * Which agents have an open WatchMigrationStatus stream, per model (kept in
 * the store by cluster/presence.ts, so every node of a controller sees them).
 */
export interface AgentPresence {
  /** Records `tag` connected on `modelUuid`; call the returned function when its stream ends. */
  connect(modelUuid: string, tag: string): Promise<() => Promise<void>>;
  /** The tags connected now (to any node), sorted. */
  connected(modelUuid: string): Promise<string[]>;
}

export interface AgentServiceDeps {
  store: Store;
  changes: ChangeHub;
  presence: AgentPresence;
  tokenTtlMs: number;
  now?: () => number;
}

/** Phases from which agents are told where the destination is. */
const TARGET_PHASES = new Set(["VALIDATION", "SUCCESS", "LOGTRANSFER", "REAP", "DONE", "REAPFAILED"]);

function agentOf(ctx: Parameters<ServiceImpl<typeof AgentService>["reportStatus"]>[1]): Principal & {
  modelUuid: string;
} {
  const p = principalOf(ctx);
  if (p.kind !== "agent" || !p.modelUuid) throw permissionDenied("this call needs an agent login", "TOKEN_SCOPE");
  return p as Principal & { modelUuid: string };
}

function statusUpdate(row: MigrationRow | undefined) {
  if (!row) return { migrationId: "", phase: MigrationPhase.UNSPECIFIED, targetAddresses: [], targetCaCert: "" };
  const withTarget = TARGET_PHASES.has(row.phase);
  return {
    migrationId: row.id,
    phase: phaseToProto(row.phase),
    targetAddresses: withTarget ? (JSON.parse(row.targetAddresses) as string[]) : [],
    targetCaCert: withTarget ? row.targetCaCert : "",
  };
}

export function createAgentService(deps: AgentServiceDeps): Partial<ServiceImpl<typeof AgentService>> {
  const { store } = deps;
  const now = () => (deps.now ?? Date.now)();
  return {
    async agentLogin(req) {
      if (!req.modelUuid) throw badField("model_uuid", "required");
      if (!req.tag) throw badField("tag", "required");
      const tag = parseAgentTag(req.tag) ? req.tag : undefined;
      const { model, hash } = await store.read(async (tx) => {
        const model = await tx.models.byUuid(req.modelUuid);
        return { model, hash: model && tag ? await tx.agents.passwordHash(req.modelUuid, req.tag) : undefined };
      });
      // Same work whether or not the agent exists or has a password.
      const ok = await verifyPassword(req.password, hash ?? null);
      if (!ok || !model || !tag) throw unauthenticated("invalid agent credentials", "INVALID_CREDENTIALS");
      const token = newToken();
      const t = now();
      await store.write((tx) =>
        tx.tokens.insert({
          hash: hashToken(token),
          kind: "agent",
          user: req.tag,
          modelUuid: req.modelUuid,
          now: t,
          expiresAt: t + deps.tokenTtlMs,
        }),
      );
      return { token };
    },

    async reportStatus(req, ctx) {
      const p = agentOf(ctx);
      if (!req.status?.current) throw badField("status.current", "required");
      const status = { status: req.status.current, message: req.status.message };
      await store.write(async (tx) => {
        await tx.lockModel(p.modelUuid);
        const model = await tx.models.byUuid(p.modelUuid);
        if (!model) throw notFound("model", "MODEL_NOT_FOUND");
        // A migrating model is frozen: agents stop making changes in QUIESCE.
        if (model.migrationMode !== "none") throw await migratingError(tx, model);
        await tx.agents.setStatus(p.modelUuid, p.user, status, now());
      });
      return {};
    },

    async *watchMigrationStatus(_req, ctx) {
      const p = agentOf(ctx);
      const latest = () => store.read((tx) => tx.migrations.latest(p.modelUuid));
      if (!(await store.read((tx) => tx.models.byUuid(p.modelUuid)))) throw notFound("model", "MODEL_NOT_FOUND");
      // Subscribe before the first read, so no change between them is lost.
      const waiter = new ChangeWaiter(deps.changes, p.modelUuid, ["status"], ctx.signal);
      const disconnect = await deps.presence.connect(p.modelUuid, p.user);
      try {
        let last = statusUpdate(await latest());
        yield last;
        let lastKey = `${last.migrationId}|${last.phase}`;
        for (;;) {
          const more = await waiter.next();
          if (ctx.signal.aborted) break;
          waiter.clear();
          last = statusUpdate(await latest());
          const key = `${last.migrationId}|${last.phase}`;
          if (key !== lastKey) {
            yield last;
            lastKey = key;
          }
          if (!more) break; // the model is gone (migrated away): the last phase was sent
        }
      } finally {
        waiter.close();
        await disconnect();
      }
    },

    async reportMigrationMinion(req, ctx) {
      const p = agentOf(ctx);
      const phase = phaseFromProto(req.phase);
      await store.write(async (tx) => {
        const row = req.migrationId ? await tx.migrations.get(req.migrationId) : undefined;
        if (!row || row.modelUuid !== p.modelUuid) throw notFound(`migration "${req.migrationId}"`);
        if (!phase || !isPhase(phase)) throw badField("phase", "unknown phase");
        await tx.migrations.recordMinionReport({
          migrationId: row.id,
          phase,
          tag: p.user,
          success: req.success,
          now: now(),
        });
      });
      return {};
    },
  };
}
