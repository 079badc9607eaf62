import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { isClawError } from '../../../../src-main/core/errors.js';
import { encodeLengthPrefixed } from '../../../../src-main/protocol/length-prefixed.js';
import { encodeTerminalFrame } from '../../../../src-main/protocol/terminal-frames.js';
import {
  agentChannelMessage,
  encodeHostMessage,
  hostReply,
  hostRequest,
  MAX_HOST_MESSAGE,
  parseHostMessage,
  readFirstMessage,
  splitFirstMessage,
  type HostRequest,
} from '../../../../src-main/terminal/session-host/host-protocol.js';
import { WholeFrames } from '../../../../src-main/terminal/session-host/whole-frames.js';

const FP = 'ab'.repeat(32);
const ID = '0f'.repeat(16);

const requests: HostRequest[] = [
  { op: 'agent', v: 1 },
  { op: 'create', peer: FP, peerName: 'laptop', resumeMs: 60_000, args: { cols: 80, rows: 24 } },
  {
    op: 'create',
    peer: FP,
    peerName: 'laptop',
    resumeMs: 0,
    args: { cols: 80, rows: 24, command: ['sh', '-c', 'echo hi'], pty: false, term: 'xterm-256color' },
  },
  { op: 'attach', id: ID, peer: FP, offset: 12345, cols: 120, rows: 40, resumeMs: 5_000 },
];

test('every request survives encode → split → parse unchanged', () => {
  for (const req of requests) {
    const split = splitFirstMessage(encodeHostMessage(req));
    assert.ok(split, 'split');
    assert.deepEqual(parseHostMessage(split.payload, hostRequest()), req);
    assert.equal(split.rest.length, 0);
  }
});

test('bad requests are refused at the boundary with PROTOCOL, never passed on', () => {
  const bad: unknown[] = [
    { op: 'create', peer: 'not-a-fingerprint', peerName: 'x', resumeMs: 1, args: { cols: 80, rows: 24 } },
    { op: 'create', peer: FP, peerName: 'x', resumeMs: 1, args: { cols: 0, rows: 24 } },
    { op: 'create', peer: FP, peerName: 'x', resumeMs: 1, args: { cols: 80, rows: 24, shell: '/bin/sh' } },
    { op: 'attach', id: '../etc', peer: FP, offset: 0, cols: 80, rows: 24, resumeMs: 1 },
    { op: 'attach', id: ID, peer: FP, offset: -1, cols: 80, rows: 24, resumeMs: 1 },
    { op: 'agent', v: 2 },
    { op: 'kill', pid: 1 },
    [],
    null,
  ];
  for (const b of bad) {
    assert.throws(
      () => parseHostMessage(Buffer.from(JSON.stringify(b)), hostRequest()),
      (err: unknown) => isClawError(err) && err.code === 'PROTOCOL',
      JSON.stringify(b),
    );
  }
  assert.throws(
    () => parseHostMessage(Buffer.from('{not json'), hostRequest()),
    (err: unknown) => isClawError(err) && err.code === 'PROTOCOL',
  );
});

test('a header announcing more than MAX_HOST_MESSAGE is refused before anything is buffered', () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_HOST_MESSAGE + 1);
  assert.throws(
    () => splitFirstMessage(head),
    (err: unknown) => isClawError(err) && err.code === 'FRAME_TOO_LARGE',
  );
  assert.throws(() => encodeHostMessage({ op: 'closeAll', reason: 'x'.repeat(MAX_HOST_MESSAGE) }));
});

test('replies and agent-channel messages round-trip', () => {
  const replies = [
    { ok: true as const, id: ID },
    { ok: true as const, pid: 42, sessions: [{ id: ID, peer: FP, peerName: 'laptop', what: 'shell' }] },
    { ok: false as const, code: 'SESSION_GONE' as const, message: 'no such session' },
  ];
  for (const r of replies) {
    assert.deepEqual(parseHostMessage(splitFirstMessage(encodeHostMessage(r))!.payload, hostReply()), r);
  }
  for (const m of [
    { op: 'gone' as const, id: ID },
    { op: 'close' as const, id: ID, reason: 'bye' },
    { op: 'closeAll' as const, reason: 'stopping', bye: true },
  ]) {
    assert.deepEqual(
      parseHostMessage(splitFirstMessage(encodeHostMessage(m))!.payload, agentChannelMessage()),
      m,
    );
  }
});

test('property: the first message and the bytes behind it come apart exactly, however the stream is cut', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...requests),
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      async (req, after, cuts) => {
        const bytes = Buffer.concat([encodeHostMessage(req), after]);
        const socket = new PassThrough();
        const read = readFirstMessage(socket, hostRequest());
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          socket.write(bytes.subarray(at, at + n));
          at += n;
          // Each piece its own turn, as from a socket: the message may complete in any of them.
          await new Promise((r) => setImmediate(r));
          if (socket.isPaused()) break;
        }
        const { message, rest } = await read;
        // What the reader had not taken yet is still in the stream, in order.
        const unread = (socket.read() as Buffer | null) ?? Buffer.alloc(0);
        assert.deepEqual(message, req);
        assert.deepEqual(Buffer.concat([rest, unread, bytes.subarray(at)]), Buffer.from(after));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: WholeFrames passes on exactly the whole terminal frames, in order, however they are cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
      (payloads, cuts) => {
        const frames = payloads.map((p) => Buffer.from(encodeTerminalFrame({ type: 'data', data: p })));
        const bytes = Buffer.concat(frames);
        const whole = new WholeFrames();
        const out: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          const passed = whole.push(bytes.subarray(at, at + n));
          at += n;
          out.push(Buffer.from(passed));
          // Every output ends on a frame boundary: a prefix of the frames, never part of one.
          const sofar = Buffer.concat(out);
          let end = 0;
          const boundaries = [0, ...frames.map((f) => (end += f.length))];
          assert.ok(boundaries.includes(sofar.length), `cut inside a frame at ${sofar.length}`);
        }
        assert.deepEqual(Buffer.concat(out), bytes);
        assert.equal(whole.heldBytes, 0);
      },
    ),
    { numRuns: 500 },
  );
});

test('WholeFrames refuses a frame longer than any terminal frame', () => {
  assert.throws(
    () => new WholeFrames().push(encodeLengthPrefixed(Buffer.alloc(70 * 1024))),
    (err: unknown) => isClawError(err) && err.code === 'FRAME_TOO_LARGE',
  );
});
