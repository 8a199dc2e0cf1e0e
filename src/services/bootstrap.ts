// First start of a controller: its identity, the admin superuser and the
// controller model, all in one transaction so a crash leaves either nothing or
// a complete controller. Later starts read the identity back.
import { randomUUID } from "node:crypto";
import { hashPassword } from "../domain/credentials.js";
import type { Store } from "../store/db.js";
import {
  getControllerModelUuid,
  getControllerRow,
  insertControllerRow,
  type ControllerRow,
} from "../store/controller-repo.js";
import { createModelRow } from "../store/model-repo.js";
import { insertUser } from "../store/user-repo.js";

export interface BootstrapParams {
  name: string;
  cloud: string;
  cloudType: string;
  region: string;
  agentVersion: string;
}

export interface BootstrapResult {
  row: ControllerRow;
  controllerModelUuid: string;
  /** True when this start created the controller. */
  created: boolean;
}

/**
 * Returns the stored identity, creating it on first start. `adminPassword` is
 * asked for only when the controller is new.
 */
export async function bootstrapController(
  store: Store,
  params: BootstrapParams,
  adminPassword: () => Promise<string>,
): Promise<BootstrapResult> {
  const existing = getControllerRow(store.db);
  if (existing) {
    const uuid = getControllerModelUuid(store.db);
    if (!uuid) throw new Error("controller model missing from the store");
    return { row: existing, controllerModelUuid: uuid, created: false };
  }
  const hash = await hashPassword(await adminPassword());
  const now = Date.now();
  const row = { uuid: randomUUID(), createdAt: now, ...params };
  const controllerModelUuid = randomUUID();
  store.tx((db) => {
    insertControllerRow(db, row);
    insertUser(db, {
      name: "admin",
      displayName: "admin",
      passwordHash: hash,
      access: "superuser",
      createdBy: "",
      now,
    });
    createModelRow(db, {
      ...params,
      uuid: controllerModelUuid,
      name: "controller",
      owner: "admin",
      isController: true,
      now,
    });
  });
  return { row: { id: 1, ...row }, controllerModelUuid, created: true };
}
