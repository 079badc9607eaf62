/**
 * A question carries its asker's deadline, with real agents on loopback and the CLI: `msg ask` that
 * timed out while no `msg serve` ran is never run by a server that starts afterwards (it is left
 * unread, to expire, and the server says so), while one asked with a `--ttl` longer than its
 * `--timeout` (the asker said otherwise) is still answered, its reply landing in the asker's inbox.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboxMessage } from '../../src-main/messages/messages-contract.js';
import { cli, cliJson, startProcess, stopAll } from '../helpers/processes.js';
import { addPeer, online, startNode, type MessageNode } from './message-helpers.js';

after(stopAll);

let a: MessageNode;
let b: MessageNode;

before(async () => {
  [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(b, a, 'terminal,message');
  await addPeer(a, b, 'terminal,message');
  await online(a, 'b');
});

/** b's inbox on `topic`, as its owner lists it. */
const inboxOf = (topic: string) =>
  cliJson<InboxMessage[]>(['msg', 'inbox', '--topic', topic, '--json', '--home', b.home]);

test('a question whose asker stopped waiting is never run by a server that comes later', async () => {
  const topic = 'late';
  // Nobody serves the topic: both asks give up after 2 s, the question delivered and unanswered.
  const stale = await cli([
    'msg',
    'ask',
    'b',
    'stale',
    '--topic',
    topic,
    '--timeout',
    '2s',
    '--home',
    a.home,
  ]);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /no reply from b within 2 s: it has the question \(delivered\)/);
  assert.match(stale.stderr, /this one expired there unanswered: no server will run it/);
  const kept = await cli([
    'msg',
    'ask',
    'b',
    'kept',
    '--topic',
    topic,
    '--timeout',
    '2s',
    '--ttl',
    '10m',
    '--home',
    a.home,
  ]);
  assert.equal(kept.code, 1);
  assert.match(kept.stderr, /it stays answerable there until \S+ \(its TTL\)/);
  const held = await inboxOf(topic);
  const staleId = held.find((m) => m.text === 'stale')?.id;
  const keptId = held.find((m) => m.text === 'kept')?.id;
  assert.ok(staleId && keptId, JSON.stringify(held));

  // Now a server starts: its command records each body it is run with.
  const ran = join(mkdtempSync(join(tmpdir(), 'cb-ask-deadline-')), 'ran');
  const serve = startProcess([
    'msg',
    'serve',
    '--topic',
    topic,
    '--home',
    b.home,
    '--',
    'sh',
    '-c',
    `cat >> '${ran}'; echo >> '${ran}'; echo ok`,
  ]);
  await serve.waitForLine(new RegExp(`^answered ${keptId} from a: reply \\S+$`, 'm'), 20_000);
  assert.match(
    serve.stdout(),
    new RegExp(
      `^not answered: ${staleId} from a expired at \\S+ \\(its asker stopped waiting\\); left unread$`,
      'm',
    ),
  );
  await serve.stop('SIGTERM');
  assert.equal(readFileSync(ran, 'utf8'), 'kept\n', 'the command ran for the kept question only');
  // The stale one is not marked read there (nothing took it); the kept one is.
  const after = await inboxOf(topic);
  assert.notEqual(after.find((m) => m.id === staleId)?.read, true, 'the stale question is not read');
  assert.equal(after.find((m) => m.id === keptId)?.read, true);
  // The one reply reached the asker's inbox, answering the kept question.
  const replies = (
    await cliJson<InboxMessage[]>(['msg', 'inbox', '--topic', topic, '--json', '--home', a.home])
  ).filter((m) => m.replyTo !== undefined);
  assert.deepEqual(
    replies.map((m) => [m.replyTo, m.text]),
    [[keptId, 'ok\n']],
  );
  // The asker's outbox never hears the stale question was read.
  const out = await cliJson<{ id: string; state: string }[]>(['msg', 'outbox', '--json', '--home', a.home]);
  assert.notEqual(out.find((m) => m.id === staleId)?.state, 'read');
});
