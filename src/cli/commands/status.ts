// status: one render, or re-rendered every interval with --watch.
import { Code, ConnectError } from "@connectrpc/connect";
import { fetchStatus } from "../../client/status.js";
import { colorWanted } from "../color.js";
import type { CliContext, ModelTarget, Session } from "../context.js";
import { CliError } from "../errors.js";
import { parseFormat, structured } from "../output/format.js";
import { statusDocument } from "../output/status-doc.js";
import { statusTable } from "../output/status-table.js";
import type { Opts } from "../run.js";

/** A whole status read, however many parts (the unary default, 30 s, is per call). */
const STATUS_TIMEOUT_MS = 60_000;

/** "1s", "500ms", "2m", "1.5" (seconds) -> milliseconds. */
export function parseInterval(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new CliError(`invalid interval "${s}": expected e.g. 1s, 500ms or 2m`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (ms < 100) throw new CliError("the watch interval must be at least 100ms");
  return ms;
}

async function renderOnce(
  session: Session,
  target: ModelTarget,
  format: string,
  color: boolean,
): Promise<{ text: string; empty: boolean }> {
  // StreamStatus rather than GetStatus: the same snapshot, in parts, so a
  // model too big for one 4 MiB message still shows.
  const st = await fetchStatus(session.clients, target.model, { timeoutMs: STATUS_TIMEOUT_MS });
  const empty = !st.machines.length && !st.applications.length;
  if (format === "tabular") return { text: statusTable(st, { controllerName: target.controller, color }), empty };
  return { text: structured(statusDocument(st, target.controller), format as "yaml" | "json"), empty };
}

export async function status(ctx: CliContext, opts: Opts): Promise<void> {
  const format = parseFormat(opts.format, ["tabular", "yaml", "json"], "tabular");
  const color = format === "tabular" && colorWanted(process.stdout);
  const interval = opts.watch ? parseInterval(String(opts.watch)) : undefined;
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);

  if (interval === undefined) {
    const { text, empty } = await renderOnce(session, target, format, color);
    ctx.out(text);
    if (empty && format === "tabular") ctx.info(`\nModel "${target.display}" is empty.`);
    return;
  }

  let stop = false;
  let wake: () => void = () => undefined;
  const onSignal = () => {
    stop = true;
    wake();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    while (!stop) {
      let text: string;
      try {
        text = (await renderOnce(session, target, format, color)).text;
      } catch (err) {
        // A controller restarting is worth waiting out; anything else (a
        // redirect, a lost login) ends the watch with its own message.
        if (!(err instanceof ConnectError) || err.code !== Code.Unavailable || err.rawMessage === "") throw err;
        text = `ERROR ${err.rawMessage} (retrying)`;
      }
      // Clear the screen only on a terminal: `watch` and pipes get plain text.
      process.stdout.write(ctx.stdoutIsTTY ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
