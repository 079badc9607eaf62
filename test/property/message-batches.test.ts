/**
 * Batched sends under fast-check (issue 54):
 * - the client's batcher (messages/client/send-batcher.ts): for any mix of lone sends and lists to a few peers,
 *   of any sizes, every request is to one peer, within MESSAGE_BATCH_MAX messages and
 *   MESSAGE_BATCH_MAX_BYTES of bodies (one message alone may be larger), the requests in order carry
 *   exactly the calls' messages in call order, and each call gets its own message back (also from
 *   an agent without messages.sendMany, where each goes alone, and from one without its compact
 *   answer, asked for it once);
 * - sendItemProblem agrees with the agent's schema (messages-contract.ts): what it passes, the
 *   contract takes;
 * - FrameChannel.sendAll: frames written in one write decode as the same frames, in order, however
 *   the bytes are cut on the way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import type { OutboxMessage } from '../../src-main/messages/messages-contract.js';
import { paramsSchema } from '../helpers/agent-contract.js';
import {
  MESSAGE_BATCH_MAX,
  MESSAGE_BATCH_MAX_BYTES,
  bodySize,
} from '../../src-main/messages/message-bodies.js';
import { sendItemProblem, type SendItem } from '../../src-main/messages/send-item.js';
import {
  SendBatcher,
  type BatchConnection,
  type SendGroup,
} from '../../src-main/messages/client/send-batcher.js';
import { ClawError } from '../../src-main/core/errors.js';
import { formatUuid } from '../../src-main/core/uuid-v7.js';
import { FrameChannel } from '../../src-main/messages/frame-channel.js';
import { encodeLengthPrefixed } from '../../src-main/protocol/length-prefixed.js';
import { encodeMessageFrame, type MessageFrameMsg } from '../../src-main/protocol/message-frames.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/**
 * A run sends up to 6 calls of up to 1,300 messages each: at a tenth of the decoders' count (1,000 runs)
 * the first property alone took 121 s of CPU, a tenth of the whole suite's unit tests. A hundredth: 100
 * runs in `npm test`, 1,000 in `npm run fuzz`.
 */
const RUNS = Math.max(20, Math.floor(fuzzRuns() / 100));

/** A send as a program makes it: to one of three peers, a body of some size, alone or in a list. */
const call = fc.record({
  peer: fc.constantFrom('a', 'b', 'c'),
  // Mostly small bodies; now and then one large enough that a few fill a request's bytes.
  sizes: fc.array(
    fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: 64 }) },
      { weight: 1, arbitrary: fc.integer({ min: 300_000, max: 1_100_000 }) },
    ),
    { minLength: 1, maxLength: 10 },
  ),
  list: fc.boolean(),
  count: fc.integer({ min: 1, max: 1300 }),
});

const agents = fc.constantFrom('old' as const, 'full' as const, 'compact' as const);

/** Most messages one run sends: 6 calls of up to 1,300. */
const MOST_MESSAGES = 6 * 1300;
/**
 * One long string the large bodies are cut from, message k's at offset k: a slice shares the
 * string's characters, where `${k}:` + a slice was a new string the batcher's size check copied
 * whole (flattening it), 8.5 GB over a run of this file, two thirds of its CPU. A count written out
 * repeats nowhere, so slices at different offsets differ and each body stays its message's own.
 */
const big = Array.from({ length: 200_000 }, (_, i) => `${i}.`)
  .join('')
  .slice(0, 1_100_000 + MOST_MESSAGES);

test('property: requests stay within the limits, to one peer each, and carry every call in order', async () => {
  await fc.assert(
    // The agent: `old` has no messages.sendMany (each message then goes alone, still in order), `full`
    // has it but not its compact answer (it refuses the `answer` key), `compact` has both (ADR 0113).
    fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), agents, async (calls, agent) => {
      const requests: { peer: string; messages: SendItem[] }[] = [];
      let n = 0;
      let refusedAnswers = 0;
      const later = (err: ClawError) => new Promise((_, reject) => setTimeout(() => reject(err), 1));
      const connection: BatchConnection = {
        call: ((
          method: string,
          params: { peer: string; messages?: SendItem[]; answer?: string } & SendItem,
        ) => {
          const many = method === 'messages.sendMany';
          if (agent === 'old' && many)
            return later(new ClawError('BAD_ARGUMENT', "unknown method 'messages.sendMany'"));
          if (agent === 'full' && many && params.answer !== undefined) {
            refusedAnswers++;
            return later(
              new ClawError(
                'BAD_ARGUMENT',
                'invalid parameters for messages.sendMany: Unrecognized key: "answer"',
              ),
            );
          }
          if (agent === 'compact' && many)
            assert.equal(params.answer, 'compact', 'every sendMany asks for the compact answer');
          const messages = many ? params.messages! : [params];
          requests.push({ peer: params.peer, messages });
          const answer = messages.map(
            (m) => ({ id: m.text ?? '', peer: params.peer }) as unknown as OutboxMessage,
          );
          n++;
          if (!many) return Promise.resolve(answer[0]);
          if (params.answer !== 'compact') return Promise.resolve({ queued: answer });
          const peer = { name: params.peer, fingerprint: params.peer.repeat(64) };
          const rows = messages.map((m) => [m.text ?? '', 'default', 1, 'queued', 1e12, 0, 60_000]);
          return Promise.resolve({ queued: [], compact: { peer, rows } });
        }) as BatchConnection['call'],
      };
      const batcher = new SendBatcher(connection);
      const expected: { peer: string; text: string }[] = [];
      const results: Promise<OutboxMessage>[] = [];
      let k = 0;
      for (const c of calls) {
        const group: SendGroup | undefined = c.list ? { failed: undefined, busy: false } : undefined;
        const bodies = c.list
          ? Array.from({ length: c.count }, (_, i) => c.sizes[i % c.sizes.length]!)
          : [c.sizes[0]!];
        for (const size of bodies) {
          const text = size > 64 ? big.slice(k, k + size) : `${k}:`;
          k++;
          expected.push({ peer: c.peer, text });
          results.push(
            new Promise((resolve, reject) =>
              batcher.add({ peer: c.peer, message: { text }, group, resolve, reject }),
            ),
          );
        }
      }
      const got = await Promise.all(results);
      assert.deepEqual(
        got.map((m) => m.id),
        expected.map((e) => e.text),
        'each call gets its own message',
      );
      assert.deepEqual(
        requests.flatMap((r) => r.messages.map((m) => ({ peer: r.peer, text: m.text! }))),
        expected,
        'the requests carry every message once, in call order',
      );
      for (const r of requests) {
        assert.ok(r.messages.length <= MESSAGE_BATCH_MAX, 'r.messages.length <= MESSAGE_BATCH_MAX');
        const bytes = r.messages.reduce((sum, m) => sum + bodySize({ text: m.text! }), 0);
        assert.ok(r.messages.length === 1 || bytes <= MESSAGE_BATCH_MAX_BYTES, `${bytes} bytes`);
      }
      assert.equal(n, requests.length);
      assert.ok(
        refusedAnswers <= 1,
        `an agent without the compact answer is asked for it once (${refusedAnswers})`,
      );
    }),
    { numRuns: RUNS },
  );
});

const id = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  return formatUuid(b);
});

test('property: what sendItemProblem passes, the agent’s schema takes', () => {
  const item = fc.record(
    {
      text: fc.string({ maxLength: 20 }),
      base64: fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 9 }).map((b) => Buffer.from(b).toString('base64')),
      ),
      topic: fc.oneof(
        fc.string({ maxLength: 70 }),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,63}$/),
      ),
      ttlMs: fc.oneof(fc.integer(), fc.double(), fc.integer({ min: 1000, max: 30 * 24 * 3600_000 })),
      replyTo: fc.oneof(id, fc.string({ maxLength: 40 })),
      error: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(item, (m) => {
      const schema = paramsSchema('messages.sendMany');
      const taken = schema.safeParse({ peer: 'b', messages: [m] }).success;
      const problem = sendItemProblem(m);
      // Base64 and a lone error flag the schema leaves to the agent's handler; the rest it checks.
      if (problem === undefined) assert.ok(taken, `passed here, refused by the schema: ${JSON.stringify(m)}`);
      else if (taken) assert.match(problem, /base64|error message/);
    }),
    { numRuns: RUNS * 5 },
  );
});

const msg = fc
  .record({
    id,
    topic: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,20}$/),
    body: fc.uint8Array({ maxLength: 3000 }),
  })
  .map(({ id, topic, body }): MessageFrameMsg => ({
    type: 'msg',
    id,
    topic,
    ttlMs: 60_000,
    text: false,
    body,
  }));

test('property: frames written together decode as the same frames, in order, however the bytes are cut', () => {
  fc.assert(
    fc.property(
      fc.array(msg, { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const out = new PassThrough();
        const written: Buffer[] = [];
        out.on('data', (c: Buffer) => written.push(c));
        const sender = new FrameChannel(
          out,
          () => undefined,
          () => undefined,
        );
        sender.sendAll(frames);
        const bytes = Buffer.concat(written);
        // The same bytes as one write per frame.
        assert.deepEqual(
          bytes,
          Buffer.concat(frames.map((f) => encodeLengthPrefixed(encodeMessageFrame(f)))),
        );
        const got: unknown[] = [];
        const inbound = new PassThrough();
        const receiver = new FrameChannel(
          inbound,
          (f) => got.push(f),
          () => undefined,
        );
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          inbound.write(bytes.subarray(at, at + n));
          at += n;
        }
        assert.deepEqual(
          got.map((f) => ({ ...(f as MessageFrameMsg), body: Buffer.from((f as MessageFrameMsg).body) })),
          frames.map((f) => ({ ...f, body: Buffer.from(f.body) })),
        );
        receiver.close();
        sender.close();
      },
    ),
    { numRuns: RUNS },
  );
});
