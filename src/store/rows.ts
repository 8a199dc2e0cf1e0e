// Row types of the store, as the layers above see them (the same shapes on
// both engines: strings, JS numbers for integers and times, booleans, Buffers).
import type * as t from "./schema/postgres.js";

export type ControllerRow = typeof t.controller.$inferSelect;
export type UserRow = typeof t.users.$inferSelect;
export type TokenRow = typeof t.tokens.$inferSelect;
export type ModelRow = typeof t.models.$inferSelect;
export type ModelUserRow = typeof t.modelUsers.$inferSelect;
export type MachineRow = typeof t.machines.$inferSelect;
export type CharmRow = typeof t.charms.$inferSelect;
/** A charm row without its archive bytes (for listings). */
export type CharmInfoRow = Omit<CharmRow, "archive">;
export type ApplicationRow = typeof t.applications.$inferSelect;
export type UnitRow = typeof t.units.$inferSelect;
export type RelationRow = typeof t.relations.$inferSelect;
export type RelationEndpointRow = typeof t.relationEndpoints.$inferSelect;
export type RelationWithEndpoints = RelationRow & { endpoints: RelationEndpointRow[] };
export type LogRow = typeof t.logEntries.$inferSelect;
export type MigrationRow = typeof t.migrations.$inferSelect;
export type NewMigrationRow = typeof t.migrations.$inferInsert;
export type RedirectRow = typeof t.modelRedirects.$inferSelect;
export type MinionReportRow = typeof t.migrationMinionReports.$inferSelect;
export type LeaseRow = typeof t.leases.$inferSelect;
export type NodeRow = typeof t.controllerNodes.$inferSelect;
