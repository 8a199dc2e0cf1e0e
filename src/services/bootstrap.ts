// First start of a controller: its identity, the admin superuser and the
// controller model (and, on a store several nodes share, the CA with its key
// and the key sealing migration tokens), all in one transaction so a crash
// leaves either nothing or a complete controller. Later starts, and the other
// nodes of a shared store, read the identity back.
import { randomUUID } from "node:crypto";
import { hashPassword } from "../domain/credentials.js";
import type { ControllerRow, Repos, Store } from "../store/index.js";

export interface BootstrapParams {
  name: string;
  cloud: string;
  cloudType: string;
  region: string;
  agentVersion: string;
}

/** What the nodes of a shared store all need: the CA (key included) and the migration token key. */
export interface SharedSecrets {
  caCertPem: string;
  caKeyPem: string;
  migrationKey: Buffer;
}

export interface BootstrapResult {
  row: ControllerRow;
  controllerModelUuid: string;
  /** True when this start created the controller. */
  created: boolean;
  /** The shared secrets, when the store keeps them (a shared store). */
  secrets?: SharedSecrets;
}

const SECRET_NAMES = { caCert: "ca.pem", caKey: "ca.key", migrationKey: "migration.key" } as const;

export interface BootstrapOptions {
  /** Makes the shared secrets of a new controller (a shared store only). */
  newSecrets?: () => Promise<SharedSecrets>;
}

/**
 * Returns the stored identity, creating it on first start. `adminPassword` is
 * asked for only when the controller is new.
 */
export async function bootstrapController(
  store: Store,
  params: BootstrapParams,
  adminPassword: () => Promise<string>,
  opts: BootstrapOptions = {},
): Promise<BootstrapResult> {
  const found = await store.read(async (tx) => ({
    row: await tx.controller.get(),
    modelUuid: await tx.models.controllerModelUuid(),
    secrets: store.shared ? await readSecrets(tx) : undefined,
  }));
  if (found.row) {
    if (!found.modelUuid) throw new Error("controller model missing from the store");
    if (store.shared && !found.secrets) throw new Error("the controller's CA is missing from the store");
    return { row: found.row, controllerModelUuid: found.modelUuid, created: false, secrets: found.secrets };
  }
  const hash = await hashPassword(await adminPassword());
  const secrets = store.shared ? await (opts.newSecrets ?? missingSecrets)() : undefined;
  const now = Date.now();
  const row = { uuid: randomUUID(), createdAt: now, ...params };
  const controllerModelUuid = randomUUID();
  const made = await store.write(async (tx) => {
    // Nodes starting together on an empty shared store: one bootstraps, the others join.
    await tx.lock("controller-bootstrap");
    if (await tx.controller.get()) return false;
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
    if (secrets) {
      await tx.controller.putSecret(SECRET_NAMES.caCert, secrets.caCertPem, now);
      await tx.controller.putSecret(SECRET_NAMES.caKey, secrets.caKeyPem, now);
      await tx.controller.putSecret(SECRET_NAMES.migrationKey, secrets.migrationKey.toString("base64"), now);
    }
    return true;
  });
  if (!made) return bootstrapController(store, params, adminPassword, opts);
  return { row: { id: 1, ...row }, controllerModelUuid, created: true, secrets };
}

async function readSecrets(tx: Repos): Promise<SharedSecrets | undefined> {
  const [caCertPem, caKeyPem, key] = [
    await tx.controller.secret(SECRET_NAMES.caCert),
    await tx.controller.secret(SECRET_NAMES.caKey),
    await tx.controller.secret(SECRET_NAMES.migrationKey),
  ];
  if (!caCertPem || !caKeyPem || !key) return undefined;
  return { caCertPem, caKeyPem, migrationKey: Buffer.from(key, "base64") };
}

async function missingSecrets(): Promise<SharedSecrets> {
  throw new Error("a shared store needs the controller's secrets at bootstrap");
}
