import { describe, expect, it } from "vitest";
import {
  parseUnitName,
  unitTag,
  validateApplicationName,
  validateMachineId,
  validateModelConfigKey,
  validateModelName,
  validateUnitName,
  validateUserName,
} from "../../src/domain/names.js";

describe("model names", () => {
  it.each(["default", "migrate", "prod-1", "a", "2024-prod", "x".repeat(63)])("accepts %s", (n) => {
    expect(validateModelName(n)).toBeUndefined();
  });
  it.each(["", "Prod", "prod-", "-prod", "pr_od", "pr od", "x".repeat(64), "über"])("rejects %j", (n) => {
    expect(validateModelName(n)).toBeTypeOf("string");
  });
});

describe("application names", () => {
  it.each(["wordpress", "pg2", "my-app", "app-v2", "a1-b2c"])("accepts %s", (n) => {
    expect(validateApplicationName(n)).toBeUndefined();
  });
  it.each(["", "2app", "app-2", "app-", "App", "my_app", "app--x", "app-1-2"])("rejects %j", (n) => {
    expect(validateApplicationName(n)).toBeTypeOf("string");
  });
});

describe("unit names", () => {
  it("parses app/N", () => {
    expect(parseUnitName("wordpress/0")).toEqual({ application: "wordpress", number: 0 });
    expect(parseUnitName("my-app/12")).toEqual({ application: "my-app", number: 12 });
    expect(unitTag("my-app/12")).toBe("unit-my-app-12");
  });
  it.each(["wordpress", "wordpress/", "/0", "wordpress/01", "wordpress/-1", "Word/0", "wordpress/x"])(
    "rejects %j",
    (n) => {
      expect(validateUnitName(n)).toBeTypeOf("string");
    },
  );
});

describe("machine ids", () => {
  it.each(["0", "1", "42"])("accepts %s", (id) => expect(validateMachineId(id)).toBeUndefined());
  it.each(["", "-1", "01", "1.5", "a", "0/lxd/0", "99999999999999999999"])("rejects %j", (id) =>
    expect(validateMachineId(id)).toBeTypeOf("string"),
  );
});

describe("user names", () => {
  it.each(["admin", "bob", "bob.smith", "a1", "x+y-z"])("accepts %s", (n) =>
    expect(validateUserName(n)).toBeUndefined(),
  );
  it.each(["", "b", "1bob", "bob-", "bob smith", "bob@example", "x".repeat(65)])("rejects %j", (n) =>
    expect(validateUserName(n)).toBeTypeOf("string"),
  );
});

describe("model config keys", () => {
  it("accepts dashed lower-case words and rejects others", () => {
    expect(validateModelConfigKey("default-base")).toBeUndefined();
    expect(validateModelConfigKey("Default")).toBeTypeOf("string");
    expect(validateModelConfigKey("a--b")).toBeTypeOf("string");
    expect(validateModelConfigKey("")).toBeTypeOf("string");
  });
});
