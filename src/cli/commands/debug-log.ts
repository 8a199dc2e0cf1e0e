// debug-log: the model's log entries, followed until interrupted (as the
// reference's debug-log does) unless --no-tail; filtered by level, entity
// and module on the controller, so -n counts what is shown.
import { Code, ConnectError } from "@connectrpc/connect";
import type { LogEntry } from "../../../gen/ts/ferry/v1/resources_pb.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { formatClock, toDate } from "../output/time.js";
import type { Opts } from "../run.js";

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"];

/** "machine-0: 14:03:07Z INFO ferry.provisioner started" — the reference's layout. */
export function formatLogEntry(e: LogEntry): string {
  const t = toDate(e.time);
  return `${e.entity}: ${t ? formatClock(t) : "--:--:--"} ${e.level} ${e.module} ${e.message}`.replace(/\s+$/, "");
}

/** Repeatable flags that also take comma-separated lists, as the reference's do. */
function listOf(v: unknown): string[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return items
    .flatMap((x) => String(x).split(","))
    .map((x) => x.trim())
    .filter(Boolean);
}

export async function debugLog(ctx: CliContext, opts: Opts): Promise<void> {
  const level = opts.level ? String(opts.level).toUpperCase() : "";
  // --tail is the default; --no-tail (or the older spelling --tail=false) prints and ends.
  const follow = opts.tail !== false;
  if (level && !LEVELS.includes(level))
    throw new CliError(`invalid level "${opts.level}": expected ${LEVELS.join(", ")}`);
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  try {
    const stream = session.clients.model.streamLogs(
      {
        model: target.model,
        limit: opts.replay ? 0 : (opts.lines ?? 10),
        level,
        follow,
        include: listOf(opts.include),
        exclude: listOf(opts.exclude),
        includeModule: listOf(opts.includeModule),
        excludeModule: listOf(opts.excludeModule),
      },
      { signal: abort.signal },
    );
    for await (const batch of stream) {
      if (batch.entries.length) ctx.out(batch.entries.map(formatLogEntry).join("\n"));
    }
  } catch (err) {
    if (abort.signal.aborted && err instanceof ConnectError && err.code === Code.Canceled) return;
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
  }
}
