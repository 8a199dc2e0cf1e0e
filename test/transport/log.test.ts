import { describe, expect, it } from "vitest";
import { createLogger, isLogLevel, type LoggerOptions } from "../../src/transport/log.js";

function capture(level?: LoggerOptions["level"]) {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    stream: { write: (l: string) => lines.push(l) },
    now: () => new Date("2030-01-02T03:04:05.000Z"),
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("createLogger", () => {
  it("writes one JSON object per line with time, level and msg first", () => {
    const { logger, lines } = capture();
    logger.info("started", { port: 1234 });
    expect(lines).toEqual(['{"time":"2030-01-02T03:04:05.000Z","level":"info","msg":"started","port":1234}\n']);
  });

  it("drops lines below the configured level; silent drops all", () => {
    const warnOnly = capture("warn");
    warnOnly.logger.debug("d");
    warnOnly.logger.info("i");
    warnOnly.logger.warn("w");
    warnOnly.logger.error("e");
    expect(warnOnly.parsed().map((l) => l.level)).toEqual(["warn", "error"]);
    const silent = capture("silent");
    silent.logger.error("e");
    expect(silent.lines).toEqual([]);
    const dflt = capture();
    dflt.logger.debug("hidden");
    expect(dflt.lines).toEqual([]);
  });

  it("child loggers bind fields, and fields cannot overwrite time/level/msg", () => {
    const { logger, parsed } = capture();
    const child = logger.child({ component: "transport" }).child({ peer: "p" });
    child.warn("x", { msg: "forged", level: "debug", extra: 1 });
    expect(parsed()[0]).toEqual({
      time: "2030-01-02T03:04:05.000Z",
      level: "warn",
      msg: "x",
      component: "transport",
      peer: "p",
      extra: 1,
    });
  });

  it("serializes errors (with stack and cause), bigint, bytes and cycles without throwing", () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: "c" };
    cyclic.self = cyclic;
    const shared = { a: 1 };
    const err = new Error("outer", { cause: new Error("inner") });
    logger.error("failed", { error: err, n: 10n, bytes: new Uint8Array(3), cyclic, pair: [shared, shared] });
    const line = parsed()[0]!;
    const e = line.error as Record<string, unknown>;
    expect(e.message).toBe("outer");
    expect(String(e.stack)).toContain("log.test.ts");
    expect((e.cause as Record<string, unknown>).message).toBe("inner");
    expect(line.n).toBe("10");
    expect(line.bytes).toBe("<3 bytes>");
    expect(line.cyclic).toEqual({ name: "c", self: "[Circular]" });
    expect(line.pair).toEqual([{ a: 1 }, { a: 1 }]);
  });

  it("survives a stream that throws", () => {
    const logger = createLogger({
      stream: {
        write() {
          throw new Error("EPIPE");
        },
      },
    });
    expect(() => logger.info("x")).not.toThrow();
  });

  it("recognises level names", () => {
    expect(isLogLevel("debug")).toBe(true);
    expect(isLogLevel("verbose")).toBe(false);
  });
});
