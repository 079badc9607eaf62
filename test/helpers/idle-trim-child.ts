/**
 * Child script for the idle-trim test. Applies clawbridge's GC tuning as the CLI does (honouring
 * CLAWBRIDGE_V8_DEFAULTS) with a 300 ms quiet time, grows the young generation the way loading the
 * agent's modules does (much of what it allocates survives a few scavenges), returns four buffers to a
 * FrameBuffers pool (mode `pool`) or lets 32 MiB of Buffers die in the old generation (mode `buffers`),
 * then goes quiet for 2 s and prints what it holds as JSON: the young generation's size, the pool's
 * free buffers, the used and committed heap and the Buffers' memory.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { tuneGcForBulkTransfer } from '../../src-main/core/gc-tuning.js';
import { FrameBuffers } from '../../src-main/transport/frame-buffers.js';

tuneGcForBulkTransfer(process.env, 300);
const mode = process.argv[2] ?? 'pool';
const pool = new FrameBuffers(256 * 1024, 8);
if (mode === 'pool') {
  const taken = Array.from({ length: 4 }, () => pool.take());
  for (const b of taken) pool.give(b);
}
// Mode `buffers`: 32 MiB of Buffers that live long enough to reach the old generation, then die, as a
// relay's do in a burst: only a full collection gives their memory back.
let buffers: Buffer[] = [];
let garbage = 0;
if (mode === 'buffers') {
  for (let i = 0; i < 128; i++) buffers.push(Buffer.alloc(256 * 1024, i));
  // Short-lived garbage: scavenges that promote the Buffers' objects and leave nothing else behind.
  for (let i = 0; i < 200_000; i++) garbage += [i, `${i}`].length;
}
// Batches that live across several scavenges, as module records and closures do while modules load.
let keep: object[][] = [];
for (let i = 0; i < (mode === 'pool' ? 200 : 0); i++) {
  const batch: object[] = [];
  for (let j = 0; j < 20_000; j++) batch.push({ j, s: `x${j}` });
  keep.push(batch);
  if (keep.length > 20) keep.shift();
}
keep = [];
buffers = [];
await new Promise((resolve) => setTimeout(resolve, 2_000));
const heap = getHeapStatistics();
process.stdout.write(
  JSON.stringify({
    newSpaceBytes: getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size,
    poolIdle: pool.idle,
    usedBytes: heap.used_heap_size,
    committedBytes: heap.total_heap_size,
    externalBytes: heap.external_memory,
    kept: keep.length + buffers.length + (garbage > 0 ? 0 : 1),
  }),
);
