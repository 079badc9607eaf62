/**
 * A peer granted `message` (a default grant) that sends what a modified node could, against a real
 * agent over a real direct link (test/helpers/raw-peer.ts), frames written by hand:
 *
 * - 30 MiB of RESUME frames whose RESUMED answers it never reads cost the agent less than 50 MB of
 *   memory: the agent stops reading once its answers wait, and the peer's own credit window stops it;
 * - 40,000 refused messages (TOO_MANY_TOPICS, each remembered for a resend) leave `inbox.log` under
 *   5 MB: forgotten refusals are compacted away;
 * - a message whose ID another peer's message already has is a message of its own: it replaces
 *   nothing, and one ID sent again under other topics is one message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InboxMessage } from '../../src-main/messages/messages-contract.js';
import { UuidV7Generator } from '../../src-main/core/uuid-v7.js';
import { DEFAULT_INBOX_LIMITS, INBOX_FILE } from '../../src-main/messages/inbox.js';
import { MESSAGES_DIR } from '../../src-main/messages/message-store.js';
import type { Mux, MuxStream } from '../../src-main/mux/mux.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../../src-main/protocol/length-prefixed.js';
import {
  decodeMessageFrame,
  encodeMessageFrame,
  MAX_MESSAGE_FRAME_BYTES,
  MESSAGE_OPEN_ARGS,
  MESSAGE_SERVICE,
  type MessageFrame,
  type MessageFrameMsg,
} from '../../src-main/protocol/message-frames.js';
import { testIdentity } from '../helpers/identities.js';
import { stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.js';
import { inbox, startNode, type MessageNode } from './message-helpers.js';

after(stopAll);

let x: MessageNode;
const peers: RawPeer[] = [];

before(async () => {
  x = await startNode('x');
});

after(() => {
  for (const p of peers) p.close();
});

async function peer(name: string): Promise<RawPeer> {
  const p = await rawPeer(x.home, await testIdentity(`hostile-${name}`), { name, allow: 'message' });
  peers.push(p);
  return p;
}

/** The agent's resident memory, in bytes (Linux). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** A `message` stream to the agent, its frames decoded as they come (`frames`), or none read at all. */
async function messageStream(
  mux: Mux,
  read = true,
): Promise<{ stream: MuxStream; frames: MessageFrame[]; send(list: MessageFrame[]): boolean }> {
  const stream = await mux.open(MESSAGE_SERVICE, MESSAGE_OPEN_ARGS);
  stream.on('error', () => undefined);
  const frames: MessageFrame[] = [];
  if (read) {
    const decoder = new LengthPrefixedDecoder(MAX_MESSAGE_FRAME_BYTES);
    stream.on('data', (chunk: Buffer) => {
      for (const payload of decoder.push(chunk)) frames.push(decodeMessageFrame(payload));
    });
  }
  return {
    stream,
    frames,
    send: (list) => stream.write(Buffer.concat(list.map((f) => encodeLengthPrefixed(encodeMessageFrame(f))))),
  };
}

const ids = new UuidV7Generator();

function msg(topic: string, text: string, id = ids.next()): MessageFrameMsg {
  return { type: 'msg', id, topic, text: true, ttlMs: 3600_000, body: Buffer.from(text) };
}

/** Waits until what `progress` reports stopped growing for a while (or reached `total`). */
async function untilStalled(progress: () => number, total: number, what: string): Promise<number> {
  let last = -1;
  let sameSince = Date.now();
  return until(
    what,
    () => {
      const now = progress();
      if (now >= total) return now;
      if (now !== last) {
        last = now;
        sameSince = Date.now();
        return undefined;
      }
      return Date.now() - sameSince >= 3_000 ? now : undefined;
    },
    120_000,
  );
}

test(
  '30 MiB of RESUME frames whose answers are never read cost the agent < 50 MB',
  { timeout: 180_000 },
  async () => {
    const r = await peer('flooder');
    const pid = x.proc.child.pid!;
    const before = rssOf(pid);
    const { stream } = await messageStream(r.mux, false);
    const resume = encodeLengthPrefixed(encodeMessageFrame({ type: 'resume' }));
    const total = 30 * 1024 * 1024;
    const chunk = Buffer.concat(
      Array.from({ length: Math.floor((1024 * 1024) / resume.length) }, () => resume),
    );
    let written = 0;
    while (written < total) {
      stream.write(chunk);
      written += chunk.length;
    }
    // Either the agent took it all (and answered into a stream nobody reads), or its reading stopped.
    const took = await untilStalled(() => stream.bytesOut, written, 'the agent to stop taking RESUMEs');
    const grew = rssOf(pid) - before;
    assert.ok(
      grew < 50 * 1024 * 1024,
      `the agent grew by ${(grew / 1024 / 1024).toFixed(1)} MB after taking ${(took / 1024 / 1024).toFixed(1)} MiB of RESUMEs`,
    );
    assert.ok(took < written, 'a peer that reads no answers is held back by its credit');
    // The agent still answers its owner.
    assert.ok(Array.isArray(await inbox(x)), 'Array.isArray(await inbox(x))');
    r.close();
  },
);

test('40,000 refused messages leave inbox.log under 5 MB', { timeout: 600_000 }, async () => {
  const r = await peer('refused');
  const s = await messageStream(r.mux);
  await until('HELLO', () => s.frames.some((f) => f.type === 'hello'), 30_000);
  // Counted as the frames come, each once: rescanning every frame at each poll cost this file's
  // process seconds of CPU by the end of the flood.
  let scanned = 0;
  let answered = 0;
  let refusals = 0;
  const codes = new Set<string>();
  const answers = () => {
    for (; scanned < s.frames.length; scanned++) {
      const f = s.frames[scanned]!;
      if (f.type === 'delivered') answered += f.ids.length;
      else if (f.type === 'refused') {
        answered++;
        refusals++;
        codes.add(f.code);
      }
    }
    return answered;
  };
  const topics = DEFAULT_INBOX_LIMITS.topicsPerPeer;
  // A refusal record is ~250 bytes on disk, so 40,000 of them kept would be ~10 MB on their own, twice
  // the bound: a log that never dropped forgotten refusals fails, and compaction (at each MiB of
  // forgotten ones) has run several times by the end.
  const refused = 40_000;
  const total = topics + refused;
  const batch = 2_000;
  for (let i = 0; i < total; i += batch) {
    const frames: MessageFrame[] = [];
    for (let j = i; j < Math.min(total, i + batch); j++) frames.push(msg(`t${j}`, 'x'));
    if (!s.send(frames)) await new Promise((resolve) => s.stream.once('drain', resolve));
  }
  await until(`answers to ${total} messages`, () => answers() >= total, 500_000);
  assert.equal(refusals, refused);
  assert.deepEqual([...codes], ['TOO_MANY_TOPICS']);
  const size = () => statSync(join(x.home, MESSAGES_DIR, INBOX_FILE)).size;
  // A compaction may be under way when the last answer leaves: its end is what stays.
  const settled = await untilStalled(size, Infinity, 'inbox.log to settle');
  assert.ok(settled < 5 * 1024 * 1024, `inbox.log is ${(settled / 1024 / 1024).toFixed(2)} MB`);
  r.close();
});

test(
  "a message with another peer's ID replaces nothing; one ID under three topics is one message",
  { timeout: 60_000 },
  async () => {
    const a = await messageStream((await peer('honest')).mux);
    const b = await messageStream((await peer('forger')).mux);
    const id = ids.next();
    a.send([msg('orders', 'from the honest peer', id)]);
    await until('DELIVERED to the honest peer', () => a.frames.some((f) => f.type === 'delivered'), 20_000);
    b.send([msg('orders', 'forged', id), msg('other', 'forged again', id), msg('third', 'and again', id)]);
    await until(
      'DELIVERED to the forger',
      () =>
        b.frames.filter((f) => f.type === 'delivered').flatMap((f) => (f.type === 'delivered' ? f.ids : []))
          .length >= 3,
      10_000,
    );
    const withId = (await inbox(x)).filter((m: InboxMessage) => m.id === id);
    const byName = new Map(withId.map((m) => [m.from.name, m.text]));
    assert.equal(byName.get('honest'), 'from the honest peer', 'the honest message is as it was sent');
    assert.equal(
      byName.get('forger'),
      'forged',
      "the forger's first is its own message; its repeats are repeats",
    );
    assert.equal(withId.length, 2);
    // And so after a restart, from the inbox's log.
    await x.proc.stop();
    x = await startNode('x', { node: x });
    const again = (await inbox(x)).filter((m: InboxMessage) => m.id === id);
    assert.deepEqual(again.map((m) => [m.from.name, m.text]).sort(), [...byName].sort());
  },
);
