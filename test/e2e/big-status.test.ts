// A model too big for one 4 MiB message (40,000 units): GetStatus says so
// with RESPONSE_TOO_LARGE, StreamStatus delivers it in parts of at most 1 MiB,
// and `ferry status` (which reads through StreamStatus) shows all of it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { FullStatusSchema, ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { fingerprintPem } from "../../src/client/fingerprint.js";
import { generateModel } from "../../src/store/index.js";
import { clientFor, startFerryd, withStoreOf, type Ferryd } from "../helpers/ferryd.js";
import { buildOnce, FERRY, ok, tempHome } from "./harness.js";

const UNITS = 40_000;

describe("a model bigger than one message", () => {
  let d: Ferryd;
  let uuid: string;
  let token: string;
  const home = tempHome("ferry-big-");

  beforeAll(async () => {
    buildOnce();
    // Bootstrap, stop, write the model straight into the store, start again.
    const first = await startFerryd({ name: "big" });
    await first.stop();
    uuid = await withStoreOf(first, async (store) => {
      return (await generateModel(store, { units: UNITS, name: "huge", owner: "admin", history: "final" })).uuid;
    });
    d = await startFerryd({ name: "big", dataDir: first.dataDir, adminPassword: first.adminPassword });
    token = (await clientFor(d, ControllerService).login({ user: "admin", password: d.adminPassword })).token;
  }, 120_000);
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it("GetStatus refuses it with RESOURCE_EXHAUSTED and RESPONSE_TOO_LARGE, and the controller keeps serving", async () => {
    const models = clientFor(d, ModelService, token);
    const err = await models.getStatus({ model: uuid }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.ResourceExhausted);
    expect(err?.rawMessage).toMatch(/^response message of \d+ bytes exceeds the 4194304-byte limit$/);
    expect(err?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("RESPONSE_TOO_LARGE");
    expect((await models.getModel({ model: uuid })).model?.name).toBe("huge");
  }, 60_000);

  it("StreamStatus sends it in parts of at most 1 MiB holding every unit once", async () => {
    const models = clientFor(d, ModelService, token);
    const sizes: number[] = [];
    const units = new Set<string>();
    let machines = 0;
    for await (const res of models.streamStatus({ model: uuid })) {
      sizes.push(toBinary(FullStatusSchema, create(FullStatusSchema, res.status)).byteLength);
      machines += res.status?.machines.length ?? 0;
      for (const app of res.status?.applications ?? []) for (const u of app.units) units.add(u.name);
    }
    expect(sizes.length).toBeGreaterThan(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024 * 1024);
    expect(units.size).toBe(UNITS);
    expect(machines).toBe(UNITS / 4); // four units per machine
  }, 60_000);

  it("ferry status shows the whole model, in every format", async () => {
    await ok(home, ["login", d.address, "-c", "big", "-u", "admin", "--fingerprint", fingerprintPem(d.caPem)], {
      input: `${d.adminPassword}\n`,
    });
    const json = JSON.parse((await ok(home, ["status", "-m", "big:admin/huge", "--format", "json"])).stdout) as {
      applications: Record<string, { units?: Record<string, unknown> }>;
    };
    const count = Object.values(json.applications).reduce((n, a) => n + Object.keys(a.units ?? {}).length, 0);
    expect(count).toBe(UNITS);
    const table = (await ok(home, ["status", "-m", "big:admin/huge"])).stdout;
    expect(table).toMatch(/^Model\s+Controller/m);
    expect(table.match(/^\S+\/\d+\*?\s+active\s/gm)?.length).toBe(UNITS);
  }, 120_000);

  it("ferry status into a reader that stops early (| head) ends quietly", async () => {
    const child = spawn(process.execPath, [FERRY, "status", "-m", "big:admin/huge", "--format", "json"], {
      env: { ...process.env, FERRY_HOME: home, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const first = await new Promise<string>((resolve) =>
      child.stdout.once("data", (b: Buffer) => resolve(b.toString())),
    );
    child.stdout.destroy(); // as `head -c` does once it has enough
    const [code] = (await once(child, "close")) as [number | null];
    expect(first.startsWith('{"model":{"name":"huge"')).toBe(true);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }, 60_000);
});
