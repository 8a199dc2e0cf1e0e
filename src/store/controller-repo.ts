// The controller's identity row and its controller model.
import { eq } from "drizzle-orm";
import type { Db } from "./db.js";
import { controller, models } from "./schema.js";

export type ControllerRow = typeof controller.$inferSelect;

export function getControllerRow(db: Db): ControllerRow | undefined {
  return db.select().from(controller).where(eq(controller.id, 1)).get();
}

export function insertControllerRow(db: Db, row: Omit<ControllerRow, "id">): void {
  db.insert(controller)
    .values({ id: 1, ...row })
    .run();
}

export function getControllerModelUuid(db: Db): string | undefined {
  return db.select({ uuid: models.uuid }).from(models).where(eq(models.isController, true)).get()?.uuid;
}
