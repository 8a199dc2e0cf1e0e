// Redirect records: a name that belonged to two migrated models over time
// resolves to the newest one (on every engine).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { ENGINES, openTestStore, type TestStore } from "../helpers/stores.js";

describe.each(ENGINES)("redirect lookups by name on %s", (engine) => {
  let t: TestStore;
  let store: Store;
  beforeEach(async () => {
    t = await openTestStore(engine);
    store = t.store;
  });
  afterEach(() => t.cleanup());

  const redirect = (modelUuid: string, controllerName: string, migratedAt: number) =>
    store.write((tx) =>
      tx.redirects.put({
        modelUuid,
        modelName: "web",
        modelOwner: "admin",
        migrationId: `${modelUuid}:0`,
        controllerUuid: "3b4e0c57-0000-4000-8000-00000000000" + migratedAt,
        controllerName,
        addresses: ["127.0.0.1:1"],
        caCert: "",
        users: ["admin", "bob", "admin"],
        migratedAt,
      }),
    );

  it("pick the newest record whatever the insertion order", async () => {
    // The older model is written first: row (index) order alone would pick it.
    await redirect("11111111-0000-4000-8000-000000000000", "older", 1);
    await redirect("22222222-0000-4000-8000-000000000000", "newer", 5);
    await redirect("33333333-0000-4000-8000-000000000000", "middle", 3);
    await store.read(async (tx) => {
      expect((await tx.redirects.byName("admin", "web"))?.controllerName).toBe("newer");
      expect((await tx.redirects.byShortName("web")).map((r) => r.controllerName)).toEqual([
        "newer",
        "middle",
        "older",
      ]);
      expect((await tx.redirects.byUuid("22222222-0000-4000-8000-000000000000"))?.users).toBe('["admin","bob"]');
    });
    await redirect("11111111-0000-4000-8000-000000000000", "latest", 9); // the old model came back and left again
    await store.read(async (tx) => {
      expect((await tx.redirects.byName("admin", "web"))?.controllerName).toBe("latest");
      expect(await tx.redirects.byName("admin", "nope")).toBeUndefined();
    });
    expect(await store.write((tx) => tx.redirects.delete("11111111-0000-4000-8000-000000000000"))).toBe(true);
    expect(await store.write((tx) => tx.redirects.delete("11111111-0000-4000-8000-000000000000"))).toBe(false);
  });
});
