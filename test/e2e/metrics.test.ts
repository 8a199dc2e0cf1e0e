// `ferryd --metrics-listen` (issue 12 item 5): Prometheus text at /metrics,
// parsed by a Prometheus text parser, with the counters moving as calls are
// made. Migrations, redirects and phase durations are checked in
// migrate-many.test.ts, where models move.
import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { parse } from "yaml";
import { ok, tempHome } from "./harness.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { clientFor, startFerryd, type Ferryd } from "../helpers/ferryd.js";
import { scrape } from "../helpers/prometheus.js";

let ctl: Ferryd;
let metrics: string;
let token: string;

beforeAll(async () => {
  ctl = await startFerryd({ name: "metrics", args: ["--metrics-listen", "127.0.0.1:0"] });
  metrics = (JSON.parse(readFileSync(join(ctl.dataDir, "api-port"), "utf8")) as { metrics: string }).metrics;
  token = (await clientFor(ctl, ControllerService).login({ user: "admin", password: ctl.adminPassword })).token;
  for (const name of ["busy", "quiet"]) await clientFor(ctl, ModelService, token).createModel({ name });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  ctl?.cleanup();
});

describe("/metrics", () => {
  it("counts RPCs by method and code, with latency histograms", async () => {
    const before = await scrape(metrics);
    const login = { method: "ferry.v1.ControllerService/Login" };
    const ok0 = before.value("ferry_rpc_requests_total", { ...login, code: "OK" }) ?? 0;
    const bad0 = before.value("ferry_rpc_requests_total", { ...login, code: "UNAUTHENTICATED" }) ?? 0;
    const controller = clientFor(ctl, ControllerService);
    for (let i = 0; i < 3; i++) await controller.login({ user: "admin", password: ctl.adminPassword });
    await controller.login({ user: "admin", password: "wrong-password" }).catch(() => undefined);
    const after = await scrape(metrics);
    expect(after.value("ferry_rpc_requests_total", { ...login, code: "OK" })).toBe(ok0 + 3);
    expect(after.value("ferry_rpc_requests_total", { ...login, code: "UNAUTHENTICATED" })).toBe(bad0 + 1);
    expect(after.typeOf("ferry_rpc_duration_seconds")).toBe("histogram");
    expect(after.value("ferry_rpc_duration_seconds_count", login)).toBe(
      (before.value("ferry_rpc_duration_seconds_count", login) ?? 0) + 4,
    );
    expect(after.value("ferry_rpc_duration_seconds_bucket", { ...login, le: "+Inf" })).toBe(
      after.value("ferry_rpc_duration_seconds_count", login),
    );
    // Every series says which controller it is from.
    expect(after.samples.find((x) => x.name === "ferry_rpc_requests_total")?.labels.controller).toBe("metrics");
  });

  it("ranks the busiest models by calls, and shows the event loop's lag and the process", async () => {
    const models = clientFor(ctl, ModelService, token);
    for (let i = 0; i < 40; i++) await models.getStatus({ model: "admin/busy" });
    for (let i = 0; i < 4; i++) await models.updateModelConfig({ model: "admin/busy", set: { [`k${i}`]: "v" } });
    await models.getStatus({ model: "admin/quiet" });
    const s = await scrape(metrics);
    const busy = s.value("ferry_model_calls_per_second", { model: "admin/busy", kind: "read" })!;
    const quiet = s.value("ferry_model_calls_per_second", { model: "admin/quiet", kind: "read" })!;
    expect(busy).toBeGreaterThan(quiet);
    expect(quiet).toBeGreaterThan(0);
    expect(s.value("ferry_model_calls_per_second", { model: "admin/busy", kind: "write" })).toBeGreaterThan(0);
    expect(s.value("nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
    expect(s.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(s.value("ferry_agents_connected")).toBe(0);
  });

  it("ferry models --load orders the models by load, and show-controller shows the node's", async () => {
    const home = tempHome("ferry-load-");
    try {
      const fingerprint = new X509Certificate(ctl.caPem).fingerprint256;
      await ok(home, ["login", ctl.address, "-c", "m", "-u", "admin", "--fingerprint", fingerprint], {
        input: `${ctl.adminPassword}\n`,
      });
      // More load on quiet than the earlier test put on busy would reorder them: keep busy ahead.
      const models = clientFor(ctl, ModelService, token);
      for (let i = 0; i < 20; i++) await models.getStatus({ model: "admin/busy" });
      const doc = JSON.parse((await ok(home, ["models", "-c", "m", "--load", "--format", "json"])).stdout);
      const names = doc.models.map((m: { model: string }) => m.model);
      expect(names.slice(0, 2)).toEqual(["busy", "quiet"]);
      const [busy, quiet] = doc.models as { "calls-per-second": Record<string, number>; "reads-per-second": number }[];
      expect(busy!["calls-per-second"]["1m"]).toBeGreaterThan(quiet!["calls-per-second"]["1m"]!);
      expect(busy!["reads-per-second"]).toBeGreaterThan(0);
      const table = (await ok(home, ["models", "-c", "m", "--load"])).stdout;
      expect(table).toMatch(
        /Model\s+Calls\/s 1m\s+5m\s+15m\s+Reads\/s\s+Writes\/s\s+Reports\/s\s+Watches\s+Agents\s+Entities/,
      );
      expect(table.indexOf("busy")).toBeLessThan(table.indexOf("quiet"));
      const shown = parse((await ok(home, ["show-controller", "m"])).stdout).m;
      expect(shown.load["calls-per-second"]["1m"]).toBeGreaterThan(0);
      expect(shown.load["rss-mib"]).toBeGreaterThan(10);
      expect(shown.load.models).toBe(3);
      expect(shown.load).toHaveProperty("event-loop-lag-p99-ms");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it("answers 404 anywhere else", async () => {
    const res = await fetch(`http://${metrics}/other`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("GET /metrics");
  });
});
