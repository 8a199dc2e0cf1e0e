// Progress for long waits: a spinner with the current phase on a terminal,
// plain lines when stderr is piped (logs and CI stay readable).
//
// Deliberately not ora: it sizes its redraws from the terminal's column count
// and, on terminals that report 0 columns (some `script`/CI pseudo-terminals),
// floods them with cursor movements forever. One line redrawn with "\r" and
// "erase line" needs no terminal size at all.
import pc from "picocolors";
import { canRedraw, colorWanted } from "./color.js";

export interface Progress {
  step(message: string): void;
  done(message?: string): void;
  fail(message?: string): void;
  /** The user stopped waiting (Ctrl-C): the work itself goes on, so neither a tick nor a cross. */
  interrupt(message?: string): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR_LINE = "\r\x1b[2K";

function plain(first: string): Progress {
  const out = (m: string) => process.stderr.write(`${m}\n`);
  out(first);
  return { step: out, done: (m) => m && out(m), fail: () => undefined, interrupt: () => undefined };
}

export function startProgress(first: string, tty = canRedraw(process.stderr)): Progress {
  if (!tty) return plain(first);
  const c = pc.createColors(colorWanted(process.stderr));
  let text = first;
  let frame = 0;
  const draw = () => process.stderr.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${text}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  const finish = (mark: string, m?: string) => {
    clearInterval(timer);
    process.stderr.write(m ? `${CLEAR_LINE}${mark} ${m}\n` : CLEAR_LINE);
  };
  return {
    step: (m) => {
      text = m;
      draw();
    },
    done: (m) => finish(c.green("✔"), m),
    fail: (m) => finish(c.red("✖"), m),
    interrupt: (m) => finish(c.dim("…"), m),
  };
}
