// The controller's identity row and its controller model.
import { eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { controller, models, modelUsers } from "./schema.js";

export type ControllerRow = typeof controller.$inferSelect;

export function getControllerRow(db: Db): ControllerRow | undefined {
  return db.select().from(controller).where(eq(controller.id, 1)).get();
}

export function insertControllerRow(db: Db, row: Omit<ControllerRow, "id">): void {
  db.insert(controller).values({ id: 1, ...row }).run();
}

export function getControllerModelUuid(db: Db): string | undefined {
  return db.select({ uuid: models.uuid }).from(models).where(eq(models.isController, true)).get()?.uuid;
}

/** Creates the `controller` model, owned by admin. */
export function insertControllerModel(
  db: Db,
  m: { uuid: string; cloud: string; cloudType: string; region: string; agentVersion: string; now: number },
): void {
  db.insert(models)
    .values({
      uuid: m.uuid,
      name: "controller",
      owner: "admin",
      cloud: m.cloud,
      cloudType: m.cloudType,
      region: m.region,
      agentVersion: m.agentVersion,
      isController: true,
      statusSince: m.now,
      createdAt: m.now,
    })
    .run();
  db.insert(modelUsers).values({ modelUuid: m.uuid, user: "admin", access: "admin" }).run();
}
