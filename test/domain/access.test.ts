import { describe, expect, it } from "vitest";
import {
  accessAfterRevoke,
  controllerAccessIncludes,
  effectiveModelAccess,
  maxModelAccess,
  modelAccessIncludes,
} from "../../src/domain/access.js";

describe("model access", () => {
  it("higher levels include lower ones", () => {
    expect(modelAccessIncludes("admin", "write")).toBe(true);
    expect(modelAccessIncludes("write", "read")).toBe(true);
    expect(modelAccessIncludes("read", "write")).toBe(false);
    expect(modelAccessIncludes(undefined, "read")).toBe(false);
  });
  it("grant never lowers access", () => {
    expect(maxModelAccess("admin", "read")).toBe("admin");
    expect(maxModelAccess(undefined, "write")).toBe("write");
    expect(maxModelAccess("read", "admin")).toBe("admin");
  });
  it("revoke drops to the level below the one revoked, as the reference does", () => {
    expect(accessAfterRevoke("admin", "admin")).toBe("write");
    expect(accessAfterRevoke("admin", "read")).toBeUndefined();
    expect(accessAfterRevoke("write", "write")).toBe("read");
    expect(accessAfterRevoke("read", "write")).toBe("read");
    expect(accessAfterRevoke(undefined, "read")).toBeUndefined();
  });
  it("superusers are admins of every model", () => {
    expect(effectiveModelAccess("superuser", undefined)).toBe("admin");
    expect(effectiveModelAccess("login", "read")).toBe("read");
    expect(effectiveModelAccess("add-model", undefined)).toBeUndefined();
    expect(controllerAccessIncludes("superuser", "add-model")).toBe(true);
    expect(controllerAccessIncludes("login", "add-model")).toBe(false);
  });
});
