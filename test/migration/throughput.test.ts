// Export and import throughput of a generated model, printed as rows/s.
// 20k units by default (CI-sized); FERRY_THROUGHPUT_UNITS=100000 for the
// issue's size. The assertions only catch pathologies (quadratic work, a
// whole-document buffer); the printed figures are what to compare.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { exportModel } from "../../src/migration/export.js";
import { generateModel, ModelImporter } from "../../src/store/index.js";
import { ENGINES, openTestStore } from "../helpers/stores.js";

const units = Number(process.env.FERRY_THROUGHPUT_UNITS ?? 20_000);

// "Flat memory" is about what the import keeps alive, not about garbage the
// collector has not reached yet: heapUsed sampled without a collection
// swings by tens of MiB with GC timing (a CI run saw 67 MiB of garbage).
// So each sample is taken after a full collection.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

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

    const heapBefore = liveHeap();
    let heapPeak = heapBefore;
    let chunks = 0;
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
      if (++chunks % 4 === 0) heapPeak = Math.max(heapPeak, liveHeap());
    }
    heapPeak = Math.max(heapPeak, liveHeap());
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
        `  live heap growth while importing ${((heapPeak - heapBefore) / 1048576).toFixed(0)} MiB`,
    );
    expect([again.sha256, again.counts]).toEqual([exp.sha256, exp.counts]);
    // Quadratic work would be far below this on any machine; 2-3x slower CI
    // machines are not.
    expect(rate(importMs)).toBeGreaterThan(10_000);
    // Flat memory: what stays alive is nowhere near the document's size.
    expect(heapPeak - heapBefore).toBeLessThan(Math.max(16 * 1048576, exp.size / 4));
    await ts.cleanup();
    await td.cleanup();
  },
  120_000,
);
