import { describe, expect, it } from "vitest";
import {
  applyCharmConfig,
  applyModelConfig,
  charmConfigView,
  coerceOptionValue,
  defaultBase,
  modelConfigView,
  type CharmOptions,
} from "../../src/domain/config.js";

const options: CharmOptions = {
  title: { type: "string", default: "My Blog", description: "Title" },
  port: { type: "int", default: "80", description: "Port" },
  ratio: { type: "float", default: "0.5", description: "" },
  debug: { type: "boolean", default: "false", description: "" },
  email: { type: "string", description: "" },
};

describe("option values", () => {
  it("checks and normalises by type", () => {
    expect(coerceOptionValue("int", " 42 ")).toEqual({ value: "42" });
    expect(coerceOptionValue("int", "4.2")).toHaveProperty("error");
    expect(coerceOptionValue("int", "99999999999999999999")).toHaveProperty("error");
    expect(coerceOptionValue("float", "1e3")).toEqual({ value: "1000" });
    expect(coerceOptionValue("float", "abc")).toHaveProperty("error");
    expect(coerceOptionValue("boolean", "True")).toEqual({ value: "true" });
    expect(coerceOptionValue("boolean", "0")).toEqual({ value: "false" });
    expect(coerceOptionValue("boolean", "yes")).toHaveProperty("error");
    expect(coerceOptionValue("string", "")).toEqual({ value: "" });
  });
});

describe("charm config", () => {
  it("applies set and unset, reporting every problem by key", () => {
    expect(applyCharmConfig(options, { title: "x" }, { port: "8080" }, ["title"])).toEqual({
      values: { port: "8080" },
    });
    const bad = applyCharmConfig(options, {}, { port: "eighty", nope: "1", debug: "maybe" }, ["ghost"]);
    expect("problems" in bad && bad.problems.map((p) => p.key).sort()).toEqual(["debug", "ghost", "nope", "port"]);
  });

  it("shows defaults and user values with their source", () => {
    const view = charmConfigView(options, { port: "8080" });
    expect(view.port).toEqual({ value: "8080", source: "user", type: "int", description: "Port" });
    expect(view.title).toMatchObject({ value: "My Blog", source: "default" });
    expect(view.email).toMatchObject({ value: "", source: "default" });
  });
});

describe("model config", () => {
  it("shows defaults and model facts", () => {
    const view = modelConfigView({ name: "m", uuid: "u", type: "iaas" }, { "my-key": "v" });
    expect(view["default-base"]).toMatchObject({ value: "ubuntu@24.04", source: "default" });
    expect(view["logging-config"]).toMatchObject({ value: "<root>=INFO", source: "default" });
    expect(view["automatically-retry-hooks"]).toMatchObject({ value: "true", source: "default" });
    expect(view.name).toMatchObject({ value: "m", source: "model" });
    expect(view["my-key"]).toMatchObject({ value: "v", source: "user" });
  });

  it("validates known keys, key names and read-only keys", () => {
    expect(applyModelConfig({}, { "default-base": "ubuntu@22.04", "automatically-retry-hooks": "F" })).toEqual({
      values: { "default-base": "ubuntu@22.04", "automatically-retry-hooks": "false" },
    });
    const bad = applyModelConfig({}, { "default-base": "jammy", "logging-config": "x", Bad: "1", name: "n" });
    expect("problems" in bad && bad.problems.map((p) => p.key).sort()).toEqual([
      "Bad",
      "default-base",
      "logging-config",
      "name",
    ]);
    expect(defaultBase({})).toEqual({ name: "ubuntu", channel: "24.04" });
    expect(defaultBase({ "default-base": "ubuntu@22.04" })).toEqual({ name: "ubuntu", channel: "22.04" });
  });
});
