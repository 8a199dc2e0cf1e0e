#!/usr/bin/env node
// The `ferry` CLI. Kept tiny: command modules load on demand.
import { main } from "../cli/main.js";

await main(process.argv);
// Connections and stdin are closed by now; exiting explicitly guarantees a
// lingering handle (an idle HTTP/2 session, a paused stdin) cannot keep a
// finished command alive. Linux stdout/stderr writes to files, pipes and
// terminals are synchronous, so nothing printed is lost.
process.exit();
