/**
 * Child script for the idle-trim test. Applies clawbridge's GC tuning as the CLI does (honouring
 * CLAWBRIDGE_V8_DEFAULTS) with a 300 ms quiet time, grows the young generation the way loading the
 * agent's modules does (much of what it allocates survives a few scavenges), returns four buffers to a
 * FrameBuffers pool (mode `pool`; mode `burst` announces a burst of work first and churns again after
 * the trim), lets 32 MiB of Buffers die in the old generation (mode `buffers`) or
 * compiles and runs 3,000 functions once (mode `code`, with --expose-gc), then goes quiet for 2 s and prints what it holds as JSON: the young generation's size, the pool's
 * free buffers, the used and committed heap and the Buffers' memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { announceWorkThatLasts } from '../../src-main/core/work-hooks.js';
import { tuneGcForBulkTransfer } from '../../src-main/runtime/gc-tuning.js';
import { FrameBuffers } from '../../src-main/transport/frame-buffers.js';
import { sleep } from './wait.js';

const mode = process.argv[2] ?? 'pool';
// V8 shrinks the young generation at a collection only once its allocation rate over the last 5 s is
// low: after a burst the trim must wait longer than that, as the agent's (IDLE_TRIM_AFTER_MS) does.
const quietMs = mode === 'burst' ? 6_000 : 300;
tuneGcForBulkTransfer(process.env, quietMs);
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
// Mode `code`: a module of 3,000 functions, each run once as the start-up's are, then old-generation
// churn whose full collections age their bytecode as a start's do (collections forced by `gc()` do not
// age it). The heap is read after a full collection before the churn, and again once the trim has run.
let usedWithCode: number | undefined;
let functions: ((n: number) => number)[] = [];
if (mode === 'code') {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('mode code needs --expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'cb-idle-trim-'));
  const file = join(dir, 'functions.cjs');
  const step = (i: number) => `s = (s * 31 + ${i}) % 1000003; if (s === ${i}) s += n;`;
  const fn = (i: number) => `function f${i}(n) { let s = n; ${step(i).repeat(30)} return s; }`;
  writeFileSync(file, `module.exports = [${Array.from({ length: 3000 }, (_, i) => fn(i)).join(',\n')}];`);
  functions = createRequire(import.meta.url)(file) as ((n: number) => number)[];
  rmSync(dir, { recursive: true });
  for (const f of functions) garbage += f(1) > 0 ? 0 : 1;
  collect();
  usedWithCode = getHeapStatistics().used_heap_size;
  // Until two full collections have run (bounded: 200 rounds of ~5 MB).
  let fullCollections = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const { detail } = e as { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let ring: number[][] = [];
  for (let round = 0; round < 200 && fullCollections < 2; round++) {
    for (let i = 0; i < 32; i++) {
      ring.push(new Array<number>(20_000).fill(i));
      if (ring.length > 30) ring.shift();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  ring = [];
  observer.disconnect();
  if (fullCollections < 2) throw new Error(`only ${fullCollections} full collections`);
}
// Batches that live across several scavenges, as module records and closures do while modules load,
// and as a burst of messages' entries do until their records are durable and their receipts came.
let keep: object[][] = [];
const churn = () => {
  for (let i = 0; i < 200; i++) {
    const batch: object[] = [];
    for (let j = 0; j < 20_000; j++) batch.push({ j, s: `x${j}` });
    keep.push(batch);
    if (keep.length > 20) keep.shift();
  }
  keep = [];
};
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size;
// Mode `burst`: the data plane announces a burst first (core/work-hooks.ts), as 1,000 messages do.
if (mode === 'burst') announceWorkThatLasts();
if (mode === 'pool' || mode === 'burst') churn();
const newSpaceDuringBytes = newSpace();
buffers = [];
await sleep(quietMs + 1_700, 'idle: the trim that follows a burst has its time to run');
const newSpaceBytes = newSpace();
// Mode `burst`: the same churn after the trim, announced by nobody, read before the next trim.
let newSpaceAgainBytes: number | undefined;
if (mode === 'burst') {
  churn();
  newSpaceAgainBytes = newSpace();
}
const heap = getHeapStatistics();
process.stdout.write(
  JSON.stringify({
    newSpaceBytes,
    newSpaceDuringBytes,
    newSpaceAgainBytes,
    poolIdle: pool.idle,
    usedBytes: heap.used_heap_size,
    committedBytes: heap.total_heap_size,
    externalBytes: heap.external_memory,
    usedWithCode,
    kept: keep.length + buffers.length + functions.length + (garbage > 0 ? 0 : 1),
  }),
);
