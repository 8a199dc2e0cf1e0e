// status: one render, or re-rendered every interval with --watch.
import { Code, ConnectError } from "@connectrpc/connect";
import { fetchStatus } from "../../client/status.js";
import { colorWanted } from "../color.js";
import type { CliContext, ModelTarget, Session } from "../context.js";
import { CliError } from "../errors.js";
import { structured } from "../output/format.js";
import { statusDocument } from "../output/status-doc.js";
import { checkSelectors, filterStatus } from "../output/status-filter.js";
import { statusShort } from "../output/status-short.js";
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

/** The reference's names for the one-line-per-unit view. */
const SHORT_FORMATS = ["short", "oneline", "line"];

interface View {
  format: string;
  color: boolean;
  selectors: string[];
  relations: boolean;
}

interface Rendered {
  text: string;
  /** The model has no machines or applications at all. */
  empty: boolean;
  unmatched: string[];
}

async function renderOnce(session: Session, target: ModelTarget, view: View): Promise<Rendered> {
  // StreamStatus rather than GetStatus: the same snapshot, in parts, so a
  // model too big for one 4 MiB message still shows.
  const whole = await fetchStatus(session.clients, target.model, { timeoutMs: STATUS_TIMEOUT_MS });
  const empty = !whole.machines.length && !whole.applications.length;
  const { status: st, unmatched } = filterStatus(whole, view.selectors);
  const { format, color } = view;
  let text: string;
  if (format === "tabular") {
    text = statusTable(st, { controllerName: target.controller, color, relations: view.relations });
  } else if (SHORT_FORMATS.includes(format)) {
    text = statusShort(st, { color });
  } else {
    text = structured(statusDocument(st, target.controller), format as "yaml" | "json");
  }
  return { text, empty, unmatched };
}

export async function status(ctx: CliContext, opts: Opts, selectors: string[] = []): Promise<void> {
  const format = String(opts.format ?? "tabular");
  const formats = ["tabular", "yaml", "json", ...SHORT_FORMATS];
  if (!formats.includes(format)) {
    throw new CliError(`invalid --format "${format}": expected one of ${formats.join(", ")}`);
  }
  const color = (format === "tabular" || SHORT_FORMATS.includes(format)) && colorWanted(process.stdout);
  const view: View = { format, color, selectors: selectors.map((s) => s.trim()), relations: opts.relations !== false };
  checkSelectors(view.selectors);
  const interval = opts.watch ? parseInterval(String(opts.watch)) : undefined;
  const target = await ctx.modelTarget(opts.model);
  const session = await ctx.session(target.controller);

  if (interval === undefined) {
    const { text, empty, unmatched } = await renderOnce(session, target, view);
    if (text) ctx.out(text);
    if (empty && format === "tabular") ctx.info(`\nModel "${target.display}" is empty.`);
    else if (unmatched.length === view.selectors.length && unmatched.length) {
      ctx.info(`Nothing in model "${target.display}" matches ${unmatched.map((u) => `"${u}"`).join(", ")}.`);
    }
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
        text = (await renderOnce(session, target, view)).text;
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
