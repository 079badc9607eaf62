/**
 * Child script for the GC-tuning test: applies clawbridge's tuning as the CLI does (`tuned`, which
 * honours CLAWBRIDGE_V8_DEFAULTS) or not at all (`untouched`), allocates ~650 MB of
 * 64 KiB Buffers, 32 MB of them alive at a time so they outlive young-generation collections (what a
 * busy relay does), and prints the kinds of the collections V8 ran
 * as JSON (`{"incremental": n, ...}`).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { tuneGcForBulkTransfer } from '../../src-main/core/gc-tuning.js';

if (process.argv[2] === 'tuned') tuneGcForBulkTransfer();
const names: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const kinds: Record<string, number> = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = names[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
}).observe({ entryTypes: ['gc'] });
const live: Buffer[] = [];
for (let i = 0; i < 10_000; i++) {
  const b = Buffer.allocUnsafeSlow(64 * 1024);
  b[0] = i;
  live.push(b);
  if (live.length > 512) live.shift();
}
// GC entries are delivered asynchronously.
setTimeout(() => process.stdout.write(JSON.stringify(kinds)), 100);
