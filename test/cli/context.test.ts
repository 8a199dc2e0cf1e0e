import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ClientStore } from "../../src/client/store/store.js";
import { CliContext } from "../../src/cli/context.js";
import { CliError } from "../../src/cli/errors.js";

const rec = { uuid: "u", apiEndpoints: ["127.0.0.1:1"], caCert: "", caFingerprint: "" };
let ctx: CliContext;

beforeEach(async () => {
  const store = new ClientStore(mkdtempSync(join(tmpdir(), "ferry-home-")));
  ctx = new CliContext(false, store);
  await store.putController("src", rec);
  await store.putController("dst", { ...rec, uuid: "u2" });
  await store.setCurrentController("src");
  await store.putAccount("src", { user: "bob", token: "t" });
  await store.updateModels("src", (m) => {
    m.models["bob/mine"] = { uuid: "1" };
    m.models["admin/shared"] = { uuid: "2" };
    m.models["admin/both"] = { uuid: "3" };
    m.models["bob/both"] = { uuid: "4" };
    m.currentModel = "bob/mine";
  });
});

describe("CliContext.modelTarget", () => {
  it("uses the current controller and model by default", async () => {
    expect(await ctx.modelTarget()).toEqual({ controller: "src", model: "bob/mine", display: "bob/mine" });
  });

  it("qualifies bare names from the model cache, preferring your own", async () => {
    expect((await ctx.modelTarget("shared")).model).toBe("admin/shared");
    expect((await ctx.modelTarget("both")).model).toBe("bob/both");
    expect((await ctx.modelTarget("unknown")).model).toBe("unknown");
    expect((await ctx.modelTarget("admin/both")).model).toBe("admin/both");
  });

  it("accepts <controller>:<model>", async () => {
    expect(await ctx.modelTarget("dst:migrate")).toEqual({ controller: "dst", model: "migrate", display: "migrate" });
  });

  it("explains what is missing", async () => {
    await expect(ctx.modelTarget("nope:x")).rejects.toThrow('controller "nope" not found');
    await expect(ctx.modelTarget("dst:")).rejects.toThrow(CliError);
    await ctx.store.updateModels("src", (m) => delete m.currentModel);
    await expect(ctx.modelTarget()).rejects.toThrow('no current model on controller "src"');
  });
});

describe("CliContext.session", () => {
  it("refuses without a token and says how to log in", async () => {
    const err = await ctx.session("dst").catch((e: CliError) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toBe('not logged in to controller "dst"');
    expect((err as CliError).hint).toContain("ferry login -c dst");
  });
});
