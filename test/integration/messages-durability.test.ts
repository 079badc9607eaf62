/**
 * Messages across an absent receiver, a crash and a refusal, with real agents on loopback (issue 54,
 * must-be-true 2 and 3): 200 messages queued while the receiver's agent is stopped, the sender killed
 * with SIGKILL right after the last `messages.send` returned and started again, then the receiver
 * started: its inbox holds exactly those 200, once each, in the order sent, and the sender's outbox
 * shows each `delivered`. A receiver that does not allow `message` refuses the stream: the message is
 * `refused` for good with the command that grants it, nothing reaches the inbox, and both audit logs
 * say so. A 2 MiB body is refused at once naming the 1 MiB limit, nothing queued; a message whose TTL
 * passes while its peer is away becomes `expired`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditListResult } from '../../src-main/api/contract.js';
import type { SendManyResult } from '../../src-main/messages/messages-contract.js';
import { stopAll } from '../helpers/processes.js';
import { addPeer, inbox, nextState, ok, online, outbox, send, startNode } from './message-helpers.js';
import { until, sleep } from '../helpers/wait.js';

after(async () => {
  await stopAll();
});

test('200 messages to a stopped receiver survive kill -9 of the sender: delivered once each, in order', async () => {
  let [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(a, b);
  await addPeer(b, a);
  await online(a, 'b');
  await b.api.close();
  await b.proc.stop();

  const texts = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`);
  const ids: string[] = [];
  for (const text of texts) ids.push((await send(a, { peer: 'b', text, topic: 'lines' })).id);
  // Right after the last send returned: no clean stop, nothing flushed on the way out.
  await a.proc.stop('SIGKILL');
  a = await startNode('a', { node: a });
  const queued = await outbox(a, { peer: 'b' });
  assert.deepEqual(
    queued.map((m) => m.id),
    ids,
    'every message acknowledged as queued is still queued after kill -9',
  );
  assert.ok(
    queued.every((m) => m.state === 'queued'),
    "queued.every((m) => m.state === 'queued')",
  );

  b = await startNode('b', { node: b });
  const got = await until(
    'b holds 200 messages',
    async () => {
      const list = await inbox(b, { topic: 'lines' });
      return list.length >= 200 && list;
    },
    60_000,
  );
  assert.equal(got.length, 200, 'exactly 200, no repeat');
  assert.deepEqual(
    got.map((m) => m.id),
    ids,
    'each once, in the order sent',
  );
  assert.deepEqual(
    got.map((m) => m.text),
    texts,
  );
  const done = await until(
    "a's outbox all delivered",
    async () => {
      const list = await outbox(a, { peer: 'b' });
      return list.every((m) => m.state === 'delivered') && list;
    },
    30_000,
  );
  assert.equal(done.length, 200);
  // Nothing arrives twice later either (a resend after the restart is a repeat the receiver drops).
  await sleep(1_000, 'nothing may arrive twice within this window');
  assert.equal((await inbox(b, { topic: 'lines' })).length, 200);
  await Promise.all([a.api.close(), b.api.close()]);
});

test('without the message permission: refused for good with where to grant it, nothing in the inbox, audited', async () => {
  const [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(a, b);
  await addPeer(b, a, 'terminal,forward');
  await online(a, 'b');
  const queued = await send(a, { peer: 'b', text: 'may I?' });
  const refused = await nextState(a, queued.id, 'refused', 15_000).catch(async (err: Error) => {
    const [now] = await outbox(a, { ids: [queued.id] });
    if (now?.state === 'refused') return now;
    throw err;
  });
  assert.equal(refused.why?.code, 'PERMISSION_DENIED');
  assert.match(refused.why?.reason ?? '', /does not allow messages from a/);
  assert.match(refused.why?.reason ?? '', /clawbridge peers allow a message/);
  assert.deepEqual(await inbox(b), []);
  // Both logs: b refused a's stream, a's message was refused.
  const onB = (await b.api.call('audit.list', {})) as AuditListResult;
  assert.ok(
    onB.events.some((e) => e.kind === 'refused' && e.service === 'message' && e.peer?.name === 'a'),
    JSON.stringify(onB.events),
  );
  const onA = await until(
    "a's audit line",
    async () => {
      const list = ((await a.api.call('audit.list', {})) as AuditListResult).events;
      return list.find((e) => e.kind === 'message' && e.change === 'refused');
    },
    30_000,
  );
  assert.equal(onA.peer?.name, 'b');
  assert.match(onA.reason ?? '', /PERMISSION_DENIED/);

  // Granted, the next message goes through.
  await ok(['peers', 'allow', 'a', 'message', '--home', b.home]);
  const next = await send(a, { peer: 'b', text: 'now?' });
  await until('the next one delivered', async () => (await inbox(b)).some((m) => m.id === next.id), 30_000);
  await Promise.all([a.api.close(), b.api.close()]);
});

test('a 2 MiB body is refused at once naming the 1 MiB limit, nothing queued; a TTL passes: expired', async () => {
  const [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(a, b);
  const before = (await outbox(a)).length;
  await assert.rejects(
    send(a, { peer: 'b', text: 'x'.repeat(2 * 1024 * 1024) }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'BAD_ARGUMENT');
      assert.match(err.message, /at most 1 MiB/);
      return true;
    },
  );
  await assert.rejects(
    send(a, { peer: 'b', base64: Buffer.alloc(2 * 1024 * 1024).toString('base64') }),
    /at most 1 MiB/,
  );
  assert.equal((await outbox(a)).length, before, 'nothing was queued');
  // Exactly 1 MiB is a message.
  await send(a, { peer: 'b', base64: Buffer.alloc(1024 * 1024, 7).toString('base64') });

  // b never runs: a message with a TTL of 1 s expires, and a's audit log says so (once, with a count).
  const short = await send(a, { peer: 'b', text: 'soon gone', ttlMs: 1_000, topic: 'short' });
  const expired = await nextState(a, short.id, 'expired', 10_000);
  assert.equal(expired.state, 'expired');
  const line = await until(
    'the expiry in the audit log',
    async () =>
      ((await a.api.call('audit.list', {})) as AuditListResult).events.find(
        (e) => e.kind === 'message' && e.change === 'expired',
      ),
    30_000,
  );
  assert.equal(line.peer?.name, 'b');
  await Promise.all([a.api.close(), b.api.close()]);
});

test('a batch (messages.sendMany) is durable once answered: kill -9 right after the answer, all of it is still queued and arrives once each, in order', async () => {
  let [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(a, b);
  await addPeer(b, a);
  await online(a, 'b');
  await b.api.close();
  await b.proc.stop();

  const texts = Array.from({ length: 1000 }, (_, i) => `batch ${i} ${'y'.repeat(i % 11)}`);
  const answer = (await a.api.call('messages.sendMany', {
    peer: 'b',
    messages: texts.map((text) => ({ text, topic: 'batch' })),
  })) as SendManyResult;
  assert.equal(answer.error, undefined);
  assert.equal(answer.queued.length, 1000);
  const ids = answer.queued.map((m) => m.id);
  assert.deepEqual(ids, [...ids].sort(), 'IDs in the order given');
  // Right after the answer: no clean stop, nothing flushed on the way out.
  await a.proc.stop('SIGKILL');
  a = await startNode('a', { node: a });
  const queued = await outbox(a, { peer: 'b' });
  assert.deepEqual(
    queued.map((m) => m.id),
    ids,
    'every message of the answered batch is still queued after kill -9',
  );

  b = await startNode('b', { node: b });
  const got = await until(
    'b holds 1000 messages',
    async () => {
      const list = await inbox(b, { topic: 'batch' });
      return list.length >= 1000 && list;
    },
    60_000,
  );
  assert.deepEqual(
    got.map((m) => m.id),
    ids,
    'each once, in the order given',
  );
  assert.deepEqual(
    got.map((m) => m.text),
    texts,
  );
  await Promise.all([a.api.close(), b.api.close()]);
});
