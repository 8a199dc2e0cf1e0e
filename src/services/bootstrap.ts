// First start of a controller: its identity, the admin superuser and the
// controller model, all in one transaction so a crash leaves either nothing or
// a complete controller. Later starts read the identity back.
import { randomUUID } from "node:crypto";
import { hashPassword } from "../domain/credentials.js";
import type { ControllerRow, Store } from "../store/index.js";

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
  const found = await store.read(async (tx) => ({
    row: await tx.controller.get(),
    modelUuid: await tx.models.controllerModelUuid(),
  }));
  if (found.row) {
    if (!found.modelUuid) throw new Error("controller model missing from the store");
    return { row: found.row, controllerModelUuid: found.modelUuid, created: false };
  }
  const hash = await hashPassword(await adminPassword());
  const now = Date.now();
  const row = { uuid: randomUUID(), createdAt: now, ...params };
  const controllerModelUuid = randomUUID();
  const made = await store.write(async (tx) => {
    // Another node of a shared store may have bootstrapped since we looked.
    const raced = await tx.controller.get();
    if (raced) return false;
    await tx.controller.insert(row);
    await tx.users.insert({
      name: "admin",
      displayName: "admin",
      passwordHash: hash,
      access: "superuser",
      createdBy: "",
      now,
    });
    await tx.models.create({
      ...params,
      uuid: controllerModelUuid,
      name: "controller",
      owner: "admin",
      isController: true,
      now,
    });
    return true;
  });
  if (!made) return bootstrapController(store, params, adminPassword);
  return { row: { id: 1, ...row }, controllerModelUuid, created: true };
}
