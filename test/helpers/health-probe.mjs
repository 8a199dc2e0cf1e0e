// Worker thread for test/helpers/health.ts: checks grpc.health.v1 back to
// back until told to stop, then reports the slowest. In its own thread so
// the test's own work (encoding a hostile request) does not count as the
// controller being slow. Plain JavaScript: workers load it without the
// test runner's TypeScript transform.
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";

const { address, caPem } = workerData;
const health = new grpc.Client(address, grpc.credentials.createSsl(Buffer.from(caPem)), {
  "grpc.ssl_target_name_override": "localhost",
});
let stop = false;
parentPort.once("message", () => (stop = true));
let slowest = 0;
let checks = 0;
let failure;
parentPort.postMessage({ started: true });
while (!stop) {
  const t = performance.now();
  await new Promise((resolve) =>
    health.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b) => b,
      (b) => b,
      Buffer.alloc(0),
      (err) => {
        if (err) failure ??= String(err);
        resolve();
      },
    ),
  );
  slowest = Math.max(slowest, performance.now() - t);
  checks++;
}
health.close();
parentPort.postMessage({ slowest, checks, failure });
