// The lease of a model's import on the destination of a migration. A newer
// Import of the model (a retry, perhaps on another node of the destination)
// or an Abort seizes it, and every write of the older import is fenced by
// it: the older one can neither add rows to the newer copy nor remove it.
export const importLeaseName = (modelUuid: string) => `import:${modelUuid}`;

/** Imports renew nothing: their lease only needs to outlive them. */
export const IMPORT_LEASE_MS = 24 * 3600 * 1000;
