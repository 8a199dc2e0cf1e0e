// Turning any failure into what the user reads on stderr: `ERROR <message>`,
// the exact redirect messages, hints where there is something to do, and a
// stack trace only for the unexpected and only with --debug.
import { Code, ConnectError } from "@connectrpc/connect";
import {
  InvalidArgumentError,
  MigratingError,
  PreconditionError,
  reasonOf,
  RedirectError,
  sessionRefusal,
} from "../client/errors.js";
import type { ClientStore } from "../client/store/store.js";
import { CliError } from "./errors.js";
import { redirectMessage } from "./redirect.js";

export interface ErrorContext {
  store: ClientStore;
  debug: boolean;
  /** The controller the failed command talked to, for hints. */
  controller?: string;
}

/** What to run to see what does exist, by the kind of thing that was not found. */
const NOT_FOUND_HINTS: Record<string, string> = {
  MODEL_NOT_FOUND: "Run 'ferry models' to list the models you can see.",
  APPLICATION_NOT_FOUND: "See the model's applications with 'ferry status'.",
  UNIT_NOT_FOUND: "See the model's units with 'ferry status'.",
  MACHINE_NOT_FOUND: "See the model's machines with 'ferry status'.",
  RELATION_NOT_FOUND: "See the model's relations with 'ferry status --relations'.",
  USER_NOT_FOUND: "Run 'ferry users' to list the controller's users.",
  MIGRATION_NOT_FOUND: "Run 'ferry show-model <model>' to see whether a migration ran.",
};

/** A not-found answer names the controller that gave it and says what to look at. */
function notFoundMessage(err: ConnectError, controller: string | undefined): string {
  let msg = err.rawMessage;
  if (controller && !msg.includes("controller")) msg = `${msg} on controller "${controller}"`;
  return withHint(msg, NOT_FOUND_HINTS[reasonOf(err)]);
}

function withHint(message: string, hint?: string): string {
  return hint ? `ERROR ${message}\n${hint}` : `ERROR ${message}`;
}

/** Failures of the connection itself, as opposed to answers from the server. */
function isTransportFailure(err: ConnectError): boolean {
  return (
    (err.code === Code.Unavailable || err.code === Code.Unknown || err.code === Code.Internal) &&
    /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|certificate|self.signed|socket hang up|GOAWAY/i.test(
      err.rawMessage,
    )
  );
}

export async function renderError(err: unknown, ctx: ErrorContext): Promise<string> {
  if (err instanceof CliError) return withHint(err.message, err.hint);

  if (err instanceof RedirectError) {
    const { controllers } = await ctx.store.controllers().catch(() => ({ controllers: {} }));
    const users = new Map<string, string | undefined>();
    for (const name of Object.keys(controllers))
      users.set(name, (await ctx.store.account(name).catch(() => undefined))?.user);
    return redirectMessage(err.redirect, controllers, (c) => users.get(c));
  }
  if (err instanceof MigratingError) return "ERROR model migration in progress";

  if (err instanceof ConnectError) {
    const where = ctx.controller ? ` "${ctx.controller}"` : "";
    const msg = err.rawMessage;
    if (err.code === Code.Unauthenticated) {
      // One message and one hint: the server's own text says "log in again"
      // too, for grpcurl users; here the CLI says it once, with the command.
      const c = ctx.controller ? ` -c ${ctx.controller}` : "";
      const refusal = sessionRefusal(err);
      const on = ctx.controller ? ` on controller "${ctx.controller}"` : "";
      if (refusal === "expired") {
        return withHint(`your session${on} has expired`, `Run 'ferry login${c}' to log in again.`);
      }
      if (refusal === "revoked") {
        return withHint(
          `your session${on} is no longer valid (logged out or revoked)`,
          `Run 'ferry login${c}' to log in again.`,
        );
      }
      return withHint(msg, `Run 'ferry login${c}' to log in again.`);
    }
    if (isTransportFailure(err)) {
      if (/certificate|self.signed/i.test(msg)) {
        return `ERROR cannot connect to controller${where}: TLS verification failed (${msg}): its certificate is not signed by the CA this client trusts for it`;
      }
      return `ERROR cannot connect to controller${where}: ${msg}`;
    }
    if (err.code === Code.DeadlineExceeded) return `ERROR controller${where} did not answer in time: ${msg}`;
    if (err.code === Code.NotFound) return notFoundMessage(err, ctx.controller);
    if (err instanceof InvalidArgumentError && err.fieldViolations.length) {
      // The descriptions, without the request's field paths ("set.nosuch:"):
      // those are for API clients, which get them in BadRequest.
      const lines = err.fieldViolations.map((v) => v.description);
      return lines.length === 1
        ? `ERROR ${lines[0]}`
        : ["ERROR invalid request:", ...lines.map((l) => `  - ${l}`)].join("\n");
    }
    if (err instanceof PreconditionError && err.violations.length) {
      const missing = err.violations.filter((v) => !msg.includes(v.description));
      return [`ERROR ${msg}`, ...missing.map((v) => `  - ${v.subject ? `${v.subject}: ` : ""}${v.description}`)].join(
        "\n",
      );
    }
    if (err.code === Code.Internal || err.code === Code.Unknown || err.code === Code.DataLoss) {
      const extra = ctx.debug ? `\n${err.stack ?? ""}` : "\n(unexpected error; rerun with --debug for details)";
      return `ERROR ${msg}${extra}`;
    }
    return `ERROR ${msg}`;
  }

  const e = err instanceof Error ? err : new Error(String(err));
  if (ctx.debug) return `ERROR ${e.message}\n${e.stack ?? ""}`;
  return `ERROR ${e.message}\n(unexpected error; rerun with --debug for details)`;
}
