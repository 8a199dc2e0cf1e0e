// Which agents are connected, kept in the store: one row per open
// migration-status watch, naming the node that serves it, so a migration
// worker on any node knows the agents connected to every other node. Rows of
// a node whose heartbeat stopped do not count (its connections died with it).
import { randomBytes } from "node:crypto";
import type { AgentPresence } from "../services/agent-service.js";
import type { GroupCommit } from "../services/group-commit.js";
import type { Store } from "../store/index.js";

export function createStorePresence(
  store: Store,
  node: { nodeId: string; leaseTtlMs: number; apiAddresses(): string[] },
  log?: { warn(msg: string, f?: Record<string, unknown>): void },
  writes: Pick<GroupCommit, "run"> = { run: (fn) => store.write(fn) },
): AgentPresence {
  return {
    async connect(modelUuid, tag) {
      const id = randomBytes(12).toString("hex");
      // The agent's link (which node, since when) is shown by status and show-machine/show-unit.
      const address = node.apiAddresses()[0] ?? "";
      await writes.run(async (tx) => {
        const now = Date.now();
        await tx.agents.connect({ id, modelUuid, tag, nodeId: node.nodeId, now });
        if (await tx.models.byUuid(modelUuid))
          await tx.agents.link({ modelUuid, tag, nodeId: node.nodeId, address, now });
      });
      let done = false;
      return async () => {
        if (done) return;
        done = true;
        await writes
          .run(async (tx) => {
            await tx.agents.disconnect(id);
            if (await tx.models.byUuid(modelUuid)) await tx.agents.seen(modelUuid, [tag], Date.now());
          })
          .catch((err: unknown) => log?.warn("agents: could not record a disconnect", { error: String(err) }));
      };
    },
    async connected(modelUuid) {
      const rows = await store.read(async (tx) =>
        tx.agents.connected(modelUuid, (await tx.nodes.clock()) - node.leaseTtlMs),
      );
      return rows.map((r) => r.tag);
    },
  };
}
