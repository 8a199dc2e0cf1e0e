// Redirect records: a name that belonged to two migrated models over time
// resolves to the newest one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/db.js";
import { findRedirectByName, findRedirectsByShortName, putRedirect } from "../../src/store/redirect-repo.js";

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ferry-redirect-"));
  store = openStore(join(dir, "store.db"));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function redirect(modelUuid: string, controllerName: string, migratedAt: number) {
  putRedirect(store.db, {
    modelUuid,
    modelName: "web",
    modelOwner: "admin",
    migrationId: `${modelUuid}:0`,
    controllerUuid: "3b4e0c57-0000-4000-8000-00000000000" + migratedAt,
    controllerName,
    addresses: ["127.0.0.1:1"],
    caCert: "",
    users: ["admin"],
    migratedAt,
  });
}

describe("redirect lookups by name", () => {
  it("pick the newest record whatever the insertion order", () => {
    // The older model is written first: row (index) order alone would pick it.
    redirect("11111111-0000-4000-8000-000000000000", "older", 1);
    redirect("22222222-0000-4000-8000-000000000000", "newer", 5);
    redirect("33333333-0000-4000-8000-000000000000", "middle", 3);
    expect(findRedirectByName(store.db, "admin", "web")?.controllerName).toBe("newer");
    expect(findRedirectsByShortName(store.db, "web").map((r) => r.controllerName)).toEqual([
      "newer",
      "middle",
      "older",
    ]);
    redirect("11111111-0000-4000-8000-000000000000", "latest", 9); // the old model came back and left again
    expect(findRedirectByName(store.db, "admin", "web")?.controllerName).toBe("latest");
    expect(findRedirectByName(store.db, "admin", "nope")).toBeUndefined();
  });
});
