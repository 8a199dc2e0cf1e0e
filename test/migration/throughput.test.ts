// Export and import throughput of a generated model, printed as rows/s.
// 20k units by default (CI-sized); FERRY_THROUGHPUT_UNITS=100000 for the
// issue's size. The assertions only catch pathologies (quadratic work, a
// whole-document buffer); the printed figures are what to compare.
import { expect, it } from "vitest";
import { exportModel } from "../../src/migration/export.js";
import { generateModel, ModelImporter } from "../../src/store/index.js";
import { ENGINES, openTestStore } from "../helpers/stores.js";

const units = Number(process.env.FERRY_THROUGHPUT_UNITS ?? 20_000);

it.each(ENGINES)(
  `exports and imports a ${units}-unit model on %s`,
  async (engine) => {
    const ts = await openTestStore(engine);
    const td = await openTestStore(engine);
    const [src, dst] = [ts.store, td.store];
    const history = process.env.FERRY_THROUGHPUT_HISTORY === "final" ? "final" : "full";
    let t = performance.now();
    const g = await generateModel(src, { units, history });
    const genMs = performance.now() - t;

    t = performance.now();
    const exp = await exportModel(src, g.uuid);
    const exportMs = performance.now() - t;

    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    t = performance.now();
    const imp = new ModelImporter(dst, {
      modelUuid: g.uuid,
      migrationId: `${g.uuid}:0`,
      size: exp.size,
      sha256: exp.sha256,
      entityCount: exp.entityCount,
    });
    for await (const c of exp.chunks()) {
      await imp.write(c);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    await imp.finish();
    const importMs = performance.now() - t;
    await exp.close();

    t = performance.now();
    const again = await exportModel(dst, g.uuid);
    const validateMs = performance.now() - t;
    await again.close();

    const rows = exp.entityCount;
    const rate = (ms: number) => Math.round((rows / ms) * 1000);
    console.log(
      `throughput ${units} units on ${engine} (${history} history): ${rows} rows, ${(exp.size / 1048576).toFixed(1)} MiB document\n` +
        `  generate             ${genMs.toFixed(0)} ms\n` +
        `  export (digest pass) ${exportMs.toFixed(0)} ms  ${rate(exportMs)} rows/s\n` +
        `  stream + import      ${importMs.toFixed(0)} ms  ${rate(importMs)} rows/s\n` +
        `  re-export (validate) ${validateMs.toFixed(0)} ms  ${rate(validateMs)} rows/s\n` +
        `  heap growth while importing ${((heapPeak - heapBefore) / 1048576).toFixed(0)} MiB`,
    );
    expect([again.sha256, again.counts]).toEqual([exp.sha256, exp.counts]);
    expect(rate(importMs)).toBeGreaterThan(20_000);
    // Flat memory: nowhere near the document's size.
    expect(heapPeak - heapBefore).toBeLessThan(Math.max(64 * 1048576, exp.size / 2));
    await ts.cleanup();
    await td.cleanup();
  },
  120_000,
);
