// `npm run demo` is the README's main-job command: it must tell the whole
// story (two controllers, migrate, redirect) and clean up after itself.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/ferryd.js";

it("npm run demo migrates a model, shows both redirect messages and cleans up", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "dist", "src", "demo", "demo.js")], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const out = r.stdout + r.stderr;
  expect(r.status, out).toBe(0);
  expect(out).toMatch(/Migration started with ID "[0-9a-f-]{36}:0"/);
  expect(out).toContain("All prechecks passed.");
  expect(out).toContain('ERROR Model "migrate" has been migrated to controller "dst".');
  expect(out).toContain('ERROR Model "migrate" has been migrated to another controller.');
  expect(out).toMatch(/New controller fingerprint \[([0-9A-F]{2}:){31}[0-9A-F]{2}\]/);
  expect(out).toContain('Controller "dst" destroyed.');
}, 150_000);
