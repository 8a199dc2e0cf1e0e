// Keeping models.yaml in step with what a controller says, so bare model
// names resolve to "owner/name" (models shared by others included).
import type { Model } from "../../../gen/ts/ferry/v1/resources_pb.js";
import type { CliContext, Session } from "../context.js";

export async function listAllModels(session: Session, all = false): Promise<Model[]> {
  const models: Model[] = [];
  let pageToken = "";
  do {
    const res = await session.clients.model.listModels({ pageSize: 1000, pageToken, all });
    models.push(...res.models);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return models;
}

/**
 * Replace a controller's cached models with `models`. The current model is
 * kept even if it is gone: requests for it then get the server's answer (a
 * redirect for a migrated model) instead of a local "no current model".
 */
export async function cacheModels(ctx: CliContext, controller: string, models: Model[]): Promise<void> {
  await ctx.store.updateModels(controller, (m) => {
    m.models = Object.fromEntries(
      models.map((x) => [`${x.owner}/${x.name}`, { uuid: x.uuid, type: x.type || "iaas" }]),
    );
  });
}

export async function refreshModelCache(ctx: CliContext, session: Session): Promise<Model[]> {
  const models = await listAllModels(session);
  await cacheModels(ctx, session.name, models);
  return models;
}

/** "name" for the user's own models, "owner/name" for others'. */
export function displayModelName(qualified: string, user: string | undefined): string {
  const i = qualified.indexOf("/");
  return i > 0 && qualified.slice(0, i) === user ? qualified.slice(i + 1) : qualified;
}
