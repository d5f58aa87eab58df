/**
 * Preloaded into a benchmark child (`NODE_OPTIONS=--import=…/peak-memory.ts`): when the process
 * exits, writes its peak RSS and the peak of V8's used heap (sampled) to the file named by
 * `BENCH_PEAK_FILE`, so the parent learns the memory of the command exactly as it was run.
 */
import { writeFileSync } from "node:fs";

const out = process.env.BENCH_PEAK_FILE;
if (out !== undefined) {
  let peakHeapUsed = 0;
  const sample = () => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  };
  // Heap used includes garbage not yet collected: it shows the allocation pressure, not a leak.
  setInterval(sample, 50).unref();
  process.on("exit", () => {
    sample();
    // maxRSS is in KiB: the kernel's high-water mark, so nothing between samples is missed.
    const peak = { peakRssMb: process.resourceUsage().maxRSS / 1024, peakHeapUsedMb: peakHeapUsed / 2 ** 20 };
    writeFileSync(out, JSON.stringify(peak));
  });
}
