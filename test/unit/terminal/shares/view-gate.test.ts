/**
 * Read-only where the shell runs (docs/adr/0123-shared-terminals.md): the gate between a viewer's
 * stream and the session passes the viewer's keys only while it may type, read at each frame; it
 * acknowledges them either way, and passes nothing else a viewer sends (no resize, no end of input).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { ViewGate } from '../../../../src-main/terminal/shares/view-gate.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../../src-main/protocol/terminal-frames.js';
import { until } from '../../../helpers/wait.js';

/** The viewer's stream: `send` is what the viewer sends, `got` what reaches it. */
function viewerStream() {
  const decoder = new TerminalFrameDecoder();
  const got: TerminalFrame[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _e, done) {
      got.push(...decoder.push(chunk));
      done();
    },
  });
  return { stream, got, send: (f: TerminalFrame) => stream.push(encodeTerminalFrame(f)) };
}

test('keys reach the session only while the viewer may type; each is acknowledged', async () => {
  const viewer = viewerStream();
  let mayWrite = false;
  const gate = new ViewGate(viewer.stream, () => mayWrite);
  const input: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  gate.on('data', (chunk: Buffer) => input.push(...decoder.push(chunk)));
  viewer.send({ type: 'data', data: Buffer.from('rm -rf ~\r') });
  viewer.send({ type: 'resize', cols: 10, rows: 5 });
  viewer.send({ type: 'eof' });
  await until('the keys acknowledged', () => viewer.got.some((f) => f.type === 'ack'));
  assert.deepEqual(input, [], 'nothing a watching viewer sends reaches the session');
  mayWrite = true;
  viewer.send({ type: 'data', data: Buffer.from('ls\r') });
  await until('the keys passed on', () => input.length > 0);
  assert.deepEqual(
    input.map((f: TerminalFrame): string => (f.type === 'data' ? Buffer.from(f.data).toString() : f.type)),
    ['ls\r'],
    'a typing viewer’s keys do',
  );
  await until('both acknowledged', () => viewer.got.some((f) => f.type === 'ack' && f.offset === 12));
  gate.write(encodeTerminalFrame({ type: 'data', data: Buffer.from('out') }));
  await until('output reaches the viewer', () => viewer.got.some((f) => f.type === 'data'));
  gate.endWith('revoked');
  assert.deepEqual(viewer.got.at(-1), { type: 'error', message: 'revoked' }, 'the end says why');
});
