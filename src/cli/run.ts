// Glue between commander and the command modules: each action module is
// imported only when its command runs (start-up time is a feature: `ferry
// status` must stay well under 0.3 s), errors are rendered once, here.
import { InvalidArgumentError, type Command } from "commander";
import { applyColorFlag } from "./color.js";
import { CliContext } from "./context.js";

// Commander hands over option values as `any`; each command module declares
// the options it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Opts = Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Action = (ctx: CliContext, opts: Opts, ...args: any[]) => Promise<void>;

export async function runWithContext(debug: boolean, fn: (ctx: CliContext) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const ctx = new CliContext(debug);
    try {
      await fn(ctx);
      return;
    } catch (err) {
      // The controller refused the session (expired by its clock, or
      // revoked): the call did nothing, so log in again once, with the kept
      // password or at a terminal prompt, and run the command again.
      if (attempt === 1 && ctx.controllerInUse && (await sessionRefused(err))) {
        const renewed = await ctx.renewSession(ctx.controllerInUse).catch(async (e: unknown) => {
          await report(e, ctx, debug);
          return null;
        });
        if (renewed === null) return;
        if (renewed) {
          await ctx.close();
          continue;
        }
      }
      await report(err, ctx, debug);
      return;
    } finally {
      await ctx.close();
    }
  }
}

async function sessionRefused(err: unknown): Promise<boolean> {
  const { sessionRefusal } = await import("../client/errors.js");
  return sessionRefusal(err) !== undefined;
}

async function report(err: unknown, ctx: CliContext, debug: boolean): Promise<void> {
  const { renderError } = await import("./render-error.js");
  const text = await renderError(err, { store: ctx.store, debug, controller: ctx.controllerInUse });
  process.stderr.write(`${text}\n`);
  // 130 stays: the user pressed Ctrl-C at a prompt, as a shell reports it.
  if (process.exitCode !== 130) process.exitCode = 1;
}

/**
 * An action for commander that loads `name` from a module on demand and calls
 * it with (context, options, ...positional arguments).
 */
export function lazy<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string) {
  return async (...commanderArgs: unknown[]): Promise<void> => {
    const command = commanderArgs[commanderArgs.length - 1] as Command;
    const positional = commanderArgs.slice(0, -2);
    const opts = command.optsWithGlobals();
    // The reference's --no-prompt is our -y.
    if (opts.prompt === false) opts.yes = true;
    applyColorFlag(opts.color);
    await runWithContext(Boolean(opts.debug), async (ctx) => {
      const mod = await load();
      await (mod[name] as Action)(ctx, opts, ...positional);
    });
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a positive integer option. */
export function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
}
