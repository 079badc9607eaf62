/**
 * The browser's terminal codec against the agent's (src-main/protocol/terminal-frames.ts): what one
 * encodes the other decodes, byte for byte, whole or cut into pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeTerminalFrame,
  encodeTerminalFrame,
  TerminalFrameDecoder,
  TerminalFrameType,
} from '../../../src-main/protocol/terminal-frames.js';
import {
  encodeFrame,
  encodeInput,
  FrameDecoder,
  FrameType,
  MAX_DATA,
} from '../../../src-renderer/api/terminal-codec.js';

test('type codes are the agent’s', () => {
  assert.deepEqual(FrameType, TerminalFrameType);
});

test('frames the viewer sends decode on the agent side', () => {
  const decoder = new TerminalFrameDecoder();
  const bytes = [
    encodeFrame({ type: 'data', data: new TextEncoder().encode('ls\r') }),
    encodeFrame({ type: 'resize', cols: 132, rows: 43 }),
    encodeFrame({ type: 'ack', offset: 2 ** 40 + 5 }),
  ];
  const frames = decoder.push(Buffer.concat(bytes));
  assert.deepEqual(
    frames.map((f) => (f.type === 'data' ? { type: 'data', text: Buffer.from(f.data).toString() } : f)),
    [
      { type: 'data', text: 'ls\r' },
      { type: 'resize', cols: 132, rows: 43 },
      { type: 'ack', offset: 2 ** 40 + 5 },
    ],
  );
});

test('every frame the agent sends decodes in the browser, one byte at a time too', () => {
  const sent = [
    encodeTerminalFrame({ type: 'data', data: Buffer.from('héllo\x1b[0m') }),
    encodeTerminalFrame({ type: 'exit', status: { code: 3 } }),
    encodeTerminalFrame({ type: 'exit', status: { signal: 'SIGHUP' } }),
    encodeTerminalFrame({ type: 'session', id: 'ab'.repeat(16), offset: 1234 }),
    encodeTerminalFrame({ type: 'status', state: 'reconnecting', detail: 'peer b unreachable — retrying' }),
    encodeTerminalFrame({ type: 'status', state: 'resumed', detail: '' }),
    encodeTerminalFrame({ type: 'error', message: 'the terminal was closed' }),
  ];
  const all = Buffer.concat(sent);
  const expected = sent.map((f) => decodeTerminalFrame(f.subarray(4)));
  const norm = (f: { type: string; data?: Uint8Array }) =>
    f.type === 'data' ? { ...f, data: Buffer.from(f.data!).toString('hex') } : f;

  assert.deepEqual(new FrameDecoder().push(all).map(norm), expected.map(norm));
  const slow = new FrameDecoder();
  const got = [];
  for (const byte of all) got.push(...slow.push(Uint8Array.of(byte)));
  assert.deepEqual(got.map(norm), expected.map(norm));
  // A session on pipes also sends STDERR; the window draws it as it draws DATA.
  const stderr = new FrameDecoder().push(encodeTerminalFrame({ type: 'stderr', data: Buffer.from('oops') }));
  assert.deepEqual(stderr.map(norm), [{ type: 'data', data: Buffer.from('oops').toString('hex') }]);
});

test('a paste larger than one DATA frame is split, and the agent reassembles it exactly', () => {
  const text = 'x'.repeat(MAX_DATA * 2 + 10);
  const frames = new TerminalFrameDecoder().push(Buffer.from(encodeInput(text)));
  assert.equal(frames.length, 3);
  assert.equal(frames.map((f) => (f.type === 'data' ? Buffer.from(f.data).toString() : '')).join(''), text);
});

test('a header announcing an oversized frame is refused instead of buffered', () => {
  const evil = new Uint8Array(5);
  new DataView(evil.buffer).setUint32(0, MAX_DATA + 100);
  assert.throws(() => new FrameDecoder().push(evil), /exceeds/);
});
