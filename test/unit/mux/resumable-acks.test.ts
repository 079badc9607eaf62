/**
 * How often a resumable stream's receiver sends ACKED (ADR 0036): every eighth of its receive window,
 * so a large window means few ACKED frames, while what the sender keeps stays within 1⅛ windows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK_STEP_BYTES, ackStep, ResumableStream } from '../../../src-main/mux/resumable-stream.js';
import type { StreamRequest } from '../../../src-main/mux/mux.js';
import { muxPair } from './mux-fixtures.js';

test('the ack step is an eighth of the receive window, never below ACK_STEP_BYTES', () => {
  assert.equal(ackStep(256 * 1024), ACK_STEP_BYTES);
  assert.equal(ackStep(1024 * 1024), ACK_STEP_BYTES);
  assert.equal(ackStep(4 * 1024 * 1024), 512 * 1024);
  assert.equal(ackStep(16 * 1024 * 1024), 2 * 1024 * 1024);
});

test('a receiver with a 4 MiB window acks 8 MiB in about 16 ACKED, and the sender never keeps more than 1⅛ windows', async () => {
  const window = 4 * 1024 * 1024;
  const total = 8 * 1024 * 1024;
  let receiver: ResumableStream | undefined;
  const pair = muxPair({
    a: { streamWindow: window, maxStreamWindow: window },
    b: {
      streamWindow: window,
      maxStreamWindow: window,
      onStream: (req: StreamRequest) => {
        receiver = new ResumableStream({ stream: req.accept() }, { resumeMs: 5_000 });
      },
    },
  });
  const carrier = await pair.ma.open('data', {});
  let acks = 0;
  carrier.on('acked', () => acks++);
  const sender = new ResumableStream({ stream: carrier }, { resumeMs: 5_000 });
  while (!receiver) await new Promise((r) => setImmediate(r));
  let got = 0;
  const done = new Promise<void>((resolve) =>
    receiver!.on('data', (c: Buffer) => {
      got += c.length;
      if (got === total) resolve();
    }),
  );
  let mostKept = 0;
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!sender.write(chunk)) await new Promise((r) => sender.once('drain', r));
    mostKept = Math.max(mostKept, sender.retainedBytes);
  }
  await done;
  // 8 MiB / 512 KiB = 16 at the step; the 5 ms timer adds one each time the receiver waits that
  // long, which a loaded machine makes often (25 seen at a load of 30): still well under 64.
  assert.ok(acks >= 8 && acks <= 48, `ACKED frames: ${acks} (with a 128 KiB step: 64)`);
  assert.ok(mostKept <= window + ackStep(window) + chunk.length, `kept at most ${mostKept} bytes`);
  sender.destroy();
  receiver.destroy();
  pair.close();
});
