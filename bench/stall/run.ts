// bench/stall: does one hostile request stall the controller for everyone
// else? The health check's latency (p50, p99, max) while each hostile request
// of issue 11 runs over and over, beside the same figures with the controller
// idle, measured in the same run. Goal: p99 under 100 ms for every one.
// Usage: npm run bench:stall [-- --seconds N]
import { createHash } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { zipSync } from "fflate";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import {
  CreateModelRequestSchema,
  ModelService,
  RemoveUnitsRequestSchema,
  UpdateModelConfigRequestSchema,
} from "../../gen/ts/ferry/v1/model_pb.js";
import { clientFor, startFerryd, type Ferryd } from "../../test/helpers/ferryd.js";

const secondsArg = process.argv.indexOf("--seconds");
const SECONDS = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 3;

function grpcClient(ctl: Pick<Ferryd, "address" | "caPem">): grpc.Client {
  return new grpc.Client(ctl.address, grpc.credentials.createSsl(Buffer.from(ctl.caPem)), {
    "grpc.ssl_target_name_override": "localhost",
  });
}

function unary(c: grpc.Client, method: string, body: Uint8Array, token?: string): Promise<void> {
  const md = new grpc.Metadata();
  if (token) md.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) =>
    c.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      md,
      () => resolve(),
    ),
  );
}

function percentiles(xs: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1]!, n: s.length };
}

/**
 * Health check latencies for `seconds`, measured in a worker thread of its
 * own (so the hostile client's work in this thread cannot delay the probe),
 * while `hostile` runs again and again here.
 */
async function probe(ctl: Ferryd, seconds: number, hostile?: () => Promise<unknown>) {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { address: ctl.address, caPem: ctl.caPem, seconds },
  });
  const lat = new Promise<number[]>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  let stop = false;
  const load = (async () => {
    let runs = 0;
    while (hostile && !stop) {
      await hostile();
      runs++;
    }
    return runs;
  })();
  const latencies = await lat;
  stop = true;
  const runs = await load;
  await worker.terminate();
  return { ...percentiles(latencies), runs };
}

async function probeWorker(d: { address: string; caPem: string; seconds: number }): Promise<void> {
  const health = grpcClient(d);
  const until = Date.now() + d.seconds * 1000;
  const lat: number[] = [];
  while (Date.now() < until) {
    const t = performance.now();
    await unary(health, "/grpc.health.v1.Health/Check", new Uint8Array());
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  health.close();
  parentPort!.postMessage(lat);
}

async function main(): Promise<void> {
  const ctl = await startFerryd({ name: "stall" });
  try {
    const token = (await clientFor(ctl, ControllerService).login({ user: "admin", password: ctl.adminPassword })).token;
    const models = clientFor(ctl, ModelService, token);
    await models.createModel({ name: "web" });
    await models.deployApplication({ model: "admin/web", charm: "postgresql" });
    const raw = grpcClient(ctl);

    const removeUnits = toBinary(
      RemoveUnitsRequestSchema,
      create(RemoveUnitsRequestSchema, {
        model: "admin/web",
        units: Array.from({ length: 100_000 }, (_, i) => `postgresql/${i}`),
      }),
    );
    const config = toBinary(
      UpdateModelConfigRequestSchema,
      create(UpdateModelConfigRequestSchema, {
        model: "admin/web",
        set: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key-${i}`, "v"])),
      }),
    );
    const hugeName = toBinary(
      CreateModelRequestSchema,
      create(CreateModelRequestSchema, { name: "a".repeat(1_000_000) }),
    );
    const bomb = Buffer.from(zipSync({ "metadata.yaml": new Uint8Array(64 * 1024 * 1024) }, { level: 9 }));
    const cd = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(40, cd + 24);
    bomb.writeUInt32LE(40, 22);
    const sha256 = createHash("sha256").update(bomb).digest("hex");
    async function* upload() {
      yield { data: { case: "metadata" as const, value: { model: "admin/web", size: BigInt(bomb.length), sha256 } } };
      for (let i = 0; i < bomb.length; i += 1 << 20) {
        yield { data: { case: "chunk" as const, value: bomb.subarray(i, i + (1 << 20)) } };
      }
    }
    const wrongLogin = () =>
      clientFor(ctl, ControllerService)
        .login({ user: "admin", password: "wrong-password" })
        .catch(() => undefined);

    const cases: [string, (() => Promise<unknown>) | undefined][] = [
      ["idle", undefined],
      ["RemoveUnits, 100,000 names", () => unary(raw, "/ferry.v1.ModelService/RemoveUnits", removeUnits, token)],
      ["UpdateModelConfig, 100,000 keys", () => unary(raw, "/ferry.v1.ModelService/UpdateModelConfig", config, token)],
      ["CreateModel, 1 MB name", () => unary(raw, "/ferry.v1.ModelService/CreateModel", hugeName, token)],
      ["UploadCharm, 64 MiB zip bomb", () => models.uploadCharm(upload()).catch(() => undefined)],
      ["Login, wrong passwords", wrongLogin],
    ];
    console.log(`health check latency, ${SECONDS} s per case, TLS, one ferryd on SQLite`);
    console.log("case                               p50 ms   p99 ms   max ms   checks  hostile calls");
    let worst = 0;
    let idleP99 = 0;
    for (const [name, hostile] of cases) {
      const r = await probe(ctl, SECONDS, hostile);
      if (!hostile) idleP99 = r.p99;
      else worst = Math.max(worst, r.p99);
      console.log(
        `${name.padEnd(34)} ${r.p50.toFixed(1).padStart(6)}   ${r.p99.toFixed(1).padStart(6)}   ${r.max
          .toFixed(1)
          .padStart(6)}   ${String(r.n).padStart(6)}  ${hostile ? r.runs : "-"}`,
      );
    }
    raw.close();
    console.log(
      `worst p99 under load ${worst.toFixed(1)} ms (idle ${idleP99.toFixed(1)} ms, ratio ${(worst / idleP99).toFixed(1)})`,
    );
    console.log(`goal: p99 under 100 ms for every case -> ${worst < 100 ? "met" : "NOT met"}`);
  } finally {
    await ctl.stop();
    ctl.cleanup();
  }
}

if (isMainThread) await main();
else await probeWorker(workerData as { address: string; caPem: string; seconds: number });
