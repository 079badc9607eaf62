/**
 * Child script for the GC-tuning test. Mode `tuned` applies clawbridge's tuning as the CLI does
 * (honouring CLAWBRIDGE_V8_DEFAULTS), `untouched` does not, `big-heap` applies it and then holds
 * ~100 MB of small objects (a relay with very many nodes) until the tuning has looked at the heap. Then it
 * allocates ~650 MB of 64 KiB Buffers, 32 MB of them alive at a time so they outlive young-generation
 * collections (what a busy relay does), and prints the kinds of the collections V8 ran as JSON
 * (`{"incremental": n, ...}`).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { tuneGcForBulkTransfer } from '../../src-main/runtime/gc-tuning.js';

const mode = process.argv[2];
if (mode === 'tuned' || mode === 'big-heap') tuneGcForBulkTransfer();
const held: object[] = [];
if (mode === 'big-heap') {
  // The collections that holding it takes reach every observer in one batch, once the loop is over:
  // the tuning's first, as it observed first, then this one, which says the tuning has looked.
  const looked = new Promise<void>((resolve) => {
    const observer = new PerformanceObserver(() => {
      observer.disconnect();
      resolve();
    });
    observer.observe({ entryTypes: ['gc'] });
  });
  for (let i = 0; i < 1_000_000; i++) held.push({ id: i, name: `node-${i}`, seen: [i, i + 1] });
  await looked;
}
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
// GC entries are delivered asynchronously; `held` stays alive until then.
setTimeout(() => process.stdout.write(JSON.stringify({ ...kinds, held: held.length })), 100);
