#!/usr/bin/env node
// The `ferry` CLI. Kept tiny: command modules load on demand.
import module from "node:module";

// Start-up is mostly compiling modules: on Node.js 22.1+ V8's code cache
// (kept in the OS temp dir) makes every run after the first skip most of
// that. Before the first import of our code, so that is cached too; Node 20
// has no such API and starts as before.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import("../cli/main.js");

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // Writes complete in order, so this empty write's callback runs after all
    // earlier ones; it also runs (with an error) if the reader went away.
    stream.write("", () => resolve());
  });
}

// `ferry status | head`: the reader left, so the rest of the output has nowhere
// to go; stop quietly, as other command-line tools do, rather than with a
// stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit();
    throw err;
  });
}

await main(process.argv);
// A pipe's buffer is small (64 KiB): a big `ferry status --format json` is
// still being written when main returns, and exiting now would cut it short.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// Connections and stdin are closed by now; exiting explicitly guarantees a
// lingering handle (an idle HTTP/2 session, a paused stdin) cannot keep a
// finished command alive.
process.exit();
