// Issue 11 item 6: uploads that never finish. Open uploads hold a share of a
// per-controller budget (their declared sizes); past it new ones are refused
// with UNAVAILABLE + RetryInfo, and a client stream that goes quiet is closed
// (DEADLINE_EXCEEDED, STREAM_IDLE), which gives its share back. What they
// sent waits in spool files on disk, not in the controller's memory.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerService } from "../../gen/ts/ferry/v1/controller_pb.js";
import { ModelService } from "../../gen/ts/ferry/v1/model_pb.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { clientFor, startFerryd, type Ferryd } from "../helpers/ferryd.js";
import { expectResponsive, healthDuring } from "../helpers/health.js";

let ctl: Ferryd;
let token: string;
const IDLE_MS = 1500;
const SIZE = 64 * 1024 * 1024; // the largest archive allowed

beforeAll(async () => {
  ctl = await startFerryd({ name: "uploads", env: { FERRY_STREAM_IDLE_MS: String(IDLE_MS) } });
  token = (await clientFor(ctl, ControllerService).login({ user: "admin", password: ctl.adminPassword })).token;
  await clientFor(ctl, ModelService, token).createModel({ name: "web" });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  ctl?.cleanup();
});

/** An upload that sends its metadata and one chunk, then nothing until `release` resolves. */
function stalledUpload(release: Promise<void>): Promise<ConnectError | undefined> {
  async function* requests() {
    yield {
      data: { case: "metadata" as const, value: { model: "admin/web", size: BigInt(SIZE), sha256: "0".repeat(64) } },
    };
    yield { data: { case: "chunk" as const, value: new Uint8Array(1024) } };
    await release;
  }
  return clientFor(ctl, ModelService, token)
    .uploadCharm(requests())
    .then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
}

const parts = () => {
  try {
    return readdirSync(join(ctl.dataDir, "uploads")).filter((f) => f.endsWith(".part"));
  } catch {
    return [];
  }
};

/** Waits for `check` to give a value (checking every 20 ms, for at most 10 s). */
async function until<T>(check: () => T | false): Promise<T> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const v = check();
    if (v) return v;
  }
  throw new Error("timed out waiting");
}

describe("uploads left open", () => {
  it("are refused past the budget with RetryInfo, and closed when idle, giving the budget back", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const started = Date.now();
    const open = [1, 2, 3, 4].map(() => stalledUpload(released));
    // Wait until the controller has taken all four (the fifth is the one
    // over): each has a spool file, on disk rather than in memory, 0600.
    const spools = await until(() => parts().length === 4 && parts());
    for (const f of spools) expect(statSync(join(ctl.dataDir, "uploads", f)).mode & 0o777).toBe(0o600);
    const fifth = await stalledUpload(released);
    expect(fifth?.code).toBe(Code.Unavailable);
    expect(fifth!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("UPLOADS_BUSY");
    expect(fifth!.findDetails(RetryInfoSchema)[0]?.retryDelay).toBeDefined();

    const { result: ended, ...health } = await healthDuring(ctl, () => Promise.all(open));
    await expectResponsive(ctl, health);
    const took = Date.now() - started;
    for (const e of ended) {
      expect(e?.code).toBe(Code.DeadlineExceeded);
      expect(e!.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STREAM_IDLE");
    }
    expect(took).toBeLessThan(IDLE_MS * 4);
    // Ended uploads leave no file behind.
    expect(parts()).toEqual([]);
    release();
    // The budget is back: a new upload is taken (and then refused for its content, not for room).
    const again = await stalledUpload(Promise.resolve());
    expect(again?.findDetails(ErrorInfoSchema)[0]?.reason).not.toBe("UPLOADS_BUSY");
  }, 30_000);
});
