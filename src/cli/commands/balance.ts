// `ferry balance <source> <destination> [--target <fraction>] [--dry-run]`
// (issue 12 item 4): the reference's "move the busiest models to a new
// controller". From both controllers' load (GetControllerLoad: API calls per
// second over the last 5 minutes, which a burst does not swing), it picks the
// busiest models whose move brings the source under `target` of its load now,
// skipping any whose move would take the destination over that same level
// (so both end under it), prints the plan with each migration's estimated duration, and with
// confirmation runs it as `ferry migrate <model>... <destination>` does.
import type { ModelLoad } from "../../../gen/ts/ferry/v1/controller_pb.js";
import { count } from "../../util/plural.js";
import type { CliContext } from "../context.js";
import { CliError } from "../errors.js";
import { formatTable } from "../output/table.js";
import { confirm, stdinIsTTY } from "../prompt.js";
import type { Opts } from "../run.js";
import { displayModelName } from "./model-cache.js";

export const DEFAULT_TARGET = 0.7;
/**
 * A migration's estimated time: the phases' fixed cost (prechecks, agents
 * reporting, activation; ~5 s for a small model here) plus the entities at
 * the rate bench/migration measures for import (~10,000 machines and units a
 * second, with their history, on the 2-core machine).
 */
const FIXED_S = 5;
const ENTITIES_PER_S = 10_000;

function load(m: ModelLoad): number {
  return (m.reads?.fiveMinutes ?? 0) + (m.writes?.fiveMinutes ?? 0) + (m.statusReports?.fiveMinutes ?? 0);
}

export function estimateSeconds(entities: number): number {
  return Math.round(FIXED_S + entities / ENTITIES_PER_S);
}

export interface BalancePlan {
  moves: ModelLoad[];
  sourceBefore: number;
  sourceAfter: number;
  destinationBefore: number;
  destinationAfter: number;
}

/** The busiest models to move, busiest first, until the source is at `target` of its load or less. */
export function planBalance(source: ModelLoad[], destination: ModelLoad[], target: number): BalancePlan {
  const sourceBefore = source.reduce((n, m) => n + load(m), 0);
  const destinationBefore = destination.reduce((n, m) => n + load(m), 0);
  const goal = sourceBefore * target;
  let src = sourceBefore;
  let dst = destinationBefore;
  const moves: ModelLoad[] = [];
  const candidates = source.filter((m) => !m.isController && load(m) > 0).sort((a, b) => load(b) - load(a));
  for (const m of candidates) {
    if (src <= goal) break;
    const l = load(m);
    // Never overload the destination: it must end under the same target the source aims for.
    if (dst + l > goal) continue;
    moves.push(m);
    src -= l;
    dst += l;
  }
  return { moves, sourceBefore, sourceAfter: src, destinationBefore, destinationAfter: dst };
}

export async function balance(ctx: CliContext, opts: Opts, source: string, destination: string): Promise<void> {
  const target = opts.target === undefined ? DEFAULT_TARGET : Number(opts.target);
  if (!(target > 0 && target < 1)) {
    throw new CliError(`invalid --target "${String(opts.target)}": a fraction between 0 and 1, e.g. 0.7`);
  }
  if (source === destination) throw new CliError("the source and the destination are the same controller");
  if (!(await ctx.store.controller(destination))) {
    throw new CliError(
      `controller "${destination}" is not known to this client`,
      `Add it with 'ferry login <host:port> -c ${destination}', then run 'ferry balance' again.`,
    );
  }
  const [src, dst] = [await ctx.session(source), await ctx.session(destination)];
  const [srcLoad, dstLoad] = await Promise.all([
    src.clients.controller.getControllerLoad({}),
    dst.clients.controller.getControllerLoad({}),
  ]);
  const plan = planBalance(srcLoad.models, dstLoad.models, target);
  const user = src.account?.user;
  const f = (x: number) => x.toFixed(2);
  const summary =
    `Source "${source}": ${f(plan.sourceBefore)} calls/s now, ${f(plan.sourceAfter)} after ` +
    `(target ${Math.round(target * 100)}%: ${f(plan.sourceBefore * target)}). ` +
    `Destination "${destination}": ${f(plan.destinationBefore)} now, ${f(plan.destinationAfter)} after.`;
  if (!plan.moves.length) {
    ctx.out(
      plan.sourceBefore * target >= plan.sourceBefore || plan.sourceBefore === 0
        ? `Nothing to move: controller "${source}" has no load to balance.`
        : `Nothing to move: no model's move brings "${source}" closer to its target without overloading "${destination}".`,
    );
    ctx.out(summary);
    return;
  }
  const names = plan.moves.map((m) => displayModelName(`${m.modelOwner}/${m.modelName}`, user));
  const rows = plan.moves.map((m, i) => [
    names[i]!,
    f(load(m)),
    String(m.entities),
    `~${estimateSeconds(Number(m.entities))} s`,
  ]);
  ctx.out(`Plan: move ${count(plan.moves.length, "model")} from "${source}" to "${destination}", busiest first:\n`);
  ctx.out(formatTable([["Model", "Calls/s (5m)", "Entities", "Estimated"], ...rows], { rightAlign: [1, 2, 3] }));
  ctx.out(`\n${summary}`);
  if (opts.dryRun) {
    ctx.out("Dry run: nothing was changed.");
    return;
  }
  if (!opts.yes) {
    if (!stdinIsTTY()) throw new CliError("balancing needs confirmation", "Run it on a terminal, or pass -y.");
    if (!(await confirm(`Migrate ${count(plan.moves.length, "model")} to "${destination}"?`))) {
      throw new CliError("cancelled: nothing was changed");
    }
  }
  const { migrateMany } = await import("./migrate-many.js");
  const qualified = plan.moves.map((m) => `${source}:${m.modelOwner}/${m.modelName}`);
  await migrateMany(ctx, { ...opts, all: false, controller: undefined, dryRun: false }, qualified, destination);
}
