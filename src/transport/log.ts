// A small structured logger: one JSON object per line.
//
// We write our own instead of pulling in pino because the controller only needs
// levels, child loggers with bound fields and a pluggable stream, and a JSON line
// per event keeps logs greppable and machine-readable (`jq`) without a dependency.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. {component: "transport"}). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped; "silent" drops everything (tests). */
  level?: LogLevel | "silent";
  /** Where lines go; defaults to process.stderr so stdout stays free for CLI output. */
  stream?: { write(line: string): unknown };
  /** Fields bound to every line. */
  fields?: LogFields;
  /** Clock, injectable so tests get stable timestamps. */
  now?: () => Date;
}

const levelRank: Record<LogLevel | "silent", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

const reserved = { time: true, level: true, msg: true };

export function isLogLevel(value: string): value is LogLevel {
  return value === "debug" || value === "info" || value === "warn" || value === "error";
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const threshold = levelRank[opts.level ?? "info"];
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => new Date());
  return makeLogger(opts.fields ?? {});

  function makeLogger(bound: LogFields): Logger {
    const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (levelRank[level] < threshold) return;
      // time/level/msg first so lines read well even without jq; bound and call
      // fields cannot overwrite them (a field named "msg" would make lines ambiguous).
      const line: LogFields = { time: now().toISOString(), level, msg };
      for (const source of [bound, fields ?? {}]) {
        for (const [k, v] of Object.entries(source)) if (!(k in reserved)) line[k] = v;
      }
      try {
        stream.write(safeStringify(line) + "\n");
      } catch {
        // A logger must never take the process down (e.g. EPIPE on a closed stderr).
      }
    };
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      child: (fields) => makeLogger({ ...bound, ...fields }),
    };
  }
}

/** A logger that discards everything; handy default for library code and tests. */
export const silentLogger: Logger = createLogger({ level: "silent" });

// JSON.stringify throws on cycles and BigInt, and renders Error as {}. Log calls happen
// on error paths where the payload is least predictable, so we normalise instead.
function safeStringify(value: unknown): string {
  // Ancestor tracking (not a plain "seen" set) so an object referenced twice but
  // without a cycle is still printed in full.
  const ancestors: unknown[] = [];
  return JSON.stringify(value, function (this: unknown, _key: string, v: unknown) {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
    if (typeof v !== "object" || v === null) return v;
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(v)) return "[Circular]";
    ancestors.push(v);
    if (v instanceof Error) {
      const out: LogFields = { name: v.name, message: v.message, stack: v.stack };
      const code = (v as { code?: unknown }).code;
      if (code !== undefined) out.code = code;
      if (v.cause !== undefined) out.cause = v.cause;
      // out's children are visited with this === out; keeping the Error below it on
      // the stack lets a cause chain that loops back be detected.
      ancestors.push(out);
      return out;
    }
    return v;
  });
}
