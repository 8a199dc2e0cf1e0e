// The health check, probed over its own connection while some other call
// runs: issue 11's proof that one caller's request does not stall the rest.
import * as grpc from "@grpc/grpc-js";

/** Runs `work` while checking health back to back; the slowest check meanwhile, in ms. */
export async function healthDuring<T>(
  ctl: { address: string; caPem: string },
  work: Promise<T>,
): Promise<{ result: T; slowestMs: number; checks: number }> {
  const health = new grpc.Client(ctl.address, grpc.credentials.createSsl(Buffer.from(ctl.caPem)), {
    "grpc.ssl_target_name_override": "localhost",
  });
  let done = false;
  let slowest = 0;
  let checks = 0;
  let failure: unknown;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      await new Promise<void>((resolve) =>
        health.makeUnaryRequest(
          "/grpc.health.v1.Health/Check",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (err) => {
            if (err) failure ??= err;
            resolve();
          },
        ),
      );
      slowest = Math.max(slowest, performance.now() - t);
      checks++;
    }
  })();
  try {
    const result = await work;
    return { result, slowestMs: slowest, checks };
  } finally {
    done = true;
    await probe;
    health.close();
    if (failure) throw new Error(`the health check failed meanwhile: ${String(failure)}`);
  }
}
