/**
 * The mux says when bulk work begins (mux/data-burst.ts, ADR 0106): every DATA frame it sends or
 * receives counts towards one burst, and STREAM_BYTES_IN_A_BURST of them in a row announce work that
 * lasts (core/work-hooks.ts), so an agent's compilers come on during a forward's download instead of
 * waiting for busy spans that a loaded machine never gives it. Before, only files and messages said so.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { onWorkThatLasts } from '../../../src-main/core/work-hooks.js';
import { STREAM_BYTES_IN_A_BURST } from '../../../src-main/mux/data-burst.js';
import { until } from '../../helpers/wait.js';
import { muxPair, readAll } from './mux-fixtures.js';

afterEach(() => onWorkThatLasts(undefined));

/** Sends `bytes` from a to b on one stream; resolves with how many b read. */
async function carry(bytes: number): Promise<number> {
  const p = muxPair();
  try {
    const s = await p.ma.open('tcp-connect', { port: 80 });
    const r = await until('b accepted the stream', () => p.accepted[0]);
    const read = readAll(r, 60_000);
    const chunk = Buffer.alloc(256 * 1024, 7);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      if (!s.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent))))
        await new Promise((resolve) => s.once('drain', resolve));
    }
    s.end();
    return (await read).length;
  } finally {
    p.close();
  }
}

test('a stream carrying a burst of bytes announces work that lasts, as it goes', async () => {
  const announced: number[] = [];
  onWorkThatLasts(() => announced.push(announced.length));
  const got = await carry(STREAM_BYTES_IN_A_BURST + 1024 * 1024);
  assert.equal(got, STREAM_BYTES_IN_A_BURST + 1024 * 1024, 'every byte arrived');
  assert.ok(announced.length >= 1, 'the download announced bulk work to the runtime');
});
