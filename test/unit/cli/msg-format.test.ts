/**
 * What `clawbridge msg` prints (messages/cli/msg-format.ts) and serve's runner (run-for-reply.ts, with real
 * processes): what listen, send, inbox and outbox print, and how a served command's answer or failure
 * becomes the reply.
 */
import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  inboxTable,
  messageLine,
  messageText,
  outboxState,
  outboxTable,
  sentLine,
} from '../../../src-main/messages/cli/msg-format.js';
import { checkProgram, runForReply } from '../../../src-main/messages/cli/run-for-reply.js';
import type { InboxMessage, OutboxMessage } from '../../../src-main/messages/messages-contract.js';
import { escapeControlChars } from '../../../src-main/core/terminal-text.js';

const ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const FP = 'ab12cd34'.repeat(8);

function inbox(over: Partial<InboxMessage> = {}): InboxMessage {
  return {
    id: ID,
    from: { name: 'office', fingerprint: FP },
    topic: 'jobs',
    text: 'backup done',
    sentAt: '2026-11-27T10:00:00.000Z',
    receivedAt: '2026-11-27T10:00:01.000Z',
    expiresAt: '2026-12-04T10:00:00.000Z',
    read: false,
    ...over,
  };
}

test('listen --json: one object with exactly the documented fields; replyTo and error only when set', () => {
  assert.deepEqual(Object.keys(messageLine(inbox())), [
    'id',
    'from',
    'topic',
    'text',
    'sentAt',
    'receivedAt',
  ]);
  const binary = messageLine(inbox({ text: undefined, base64: '/wA=' }));
  assert.equal(binary.base64, '/wA=');
  assert.equal('text' in binary, false);
  const reply = messageLine(inbox({ replyTo: ID, error: true }));
  assert.equal(reply.replyTo, ID);
  assert.equal(reply.error, true);
  // `read` and `expiresAt` are the inbox's bookkeeping, not part of the line.
  assert.equal('read' in messageLine(inbox()), false);
});

test('listen: one readable line per message; its controls are escaped when printed', () => {
  assert.equal(messageText(inbox()), '2026-11-27 10:00:01  office (ab12cd34)  jobs: backup done');
  assert.equal(
    messageText(inbox({ text: undefined, base64: Buffer.alloc(2048).toString('base64') })),
    '2026-11-27 10:00:01  office (ab12cd34)  jobs: (2.0 KiB, not text)',
  );
  assert.match(messageText(inbox({ replyTo: ID, error: true })), /jobs \(reply to \S+, error\): /);
  // What printLine writes for a hostile body: one line, nothing a terminal acts on.
  const printed = escapeControlChars(messageText(inbox({ text: 'a\nforged line\x1b]0;title\x07\u202e' })));
  for (const c of ['\n', '\x1b', '\x07', '\u202e']) assert.ok(!printed.includes(c), JSON.stringify(c));
  assert.match(printed, /a\\u\{000a\}forged line\\u\{001b\}/);
});

test('send --json: {id, peer, topic, state} per message', () => {
  const m = {
    id: ID,
    peer: { name: 'office', fingerprint: FP },
    topic: 'default',
    size: 5,
    state: 'queued',
    sentAt: '',
    stateAt: '',
    expiresAt: '',
  } as OutboxMessage;
  assert.deepEqual(sentLine(m), { id: ID, peer: 'office', topic: 'default', state: 'queued' });
});

test('inbox and outbox tables: a row per message, long bodies cut, names escaped; empty says so', () => {
  const now = Date.parse('2026-11-27T10:00:31Z');
  assert.equal(
    inboxTable(
      [inbox(), inbox({ read: true, text: 'x'.repeat(100), from: { name: 'evil\x1b[2J', fingerprint: FP } })],
      now,
    ),
    [
      'ID                                    FROM                        TOPIC  AGE  READ  BODY',
      `${ID}  office (ab12cd34)           jobs   30s  no    backup done`,
      `${ID}  evil\\u{001b}[2J (ab12cd34)  jobs   30s  yes   ${'x'.repeat(57)}...`,
    ].join('\n'),
  );
  assert.equal(inboxTable([]), 'no messages');
  const out: OutboxMessage = {
    id: ID,
    peer: { name: 'office', fingerprint: FP },
    topic: 'jobs',
    size: 2048,
    state: 'refused',
    why: { code: 'PERMISSION_DENIED', reason: 'not allowed message there' },
    sentAt: '2026-11-27T10:00:00.000Z',
    stateAt: '2026-11-27T10:00:01.000Z',
    expiresAt: '2026-12-04T10:00:00.000Z',
  };
  assert.equal(
    outboxTable([out, { ...out, state: 'delivered', why: undefined, size: 3 }], now),
    [
      'ID                                    PEER               TOPIC  SIZE     STATE      SINCE  WHY',
      `${ID}  office (ab12cd34)  jobs   2.0 KiB  refused    30s    not allowed message there (PERMISSION_DENIED)`,
      `${ID}  office (ab12cd34)  jobs   3 B      delivered  30s    -`,
    ].join('\n'),
  );
  assert.equal(outboxTable([]), 'no messages sent');
});

test('msg outbox: a delivered message unread past its TTL is shown expired, with why; read ones stay read', () => {
  const now = Date.parse('2026-11-27T10:00:31.000Z');
  const base = { stateAt: '2026-11-27T10:00:01.000Z', expiresAt: '2026-11-27T10:00:21.000Z' };
  const expired = outboxState({ ...base, state: 'delivered' }, now);
  assert.equal(expired.state, 'expired');
  assert.equal(expired.since, base.expiresAt, 'since its TTL ran out');
  assert.match(expired.why, /not read before its TTL ran out/);
  assert.equal(outboxState({ ...base, state: 'read' }, now).state, 'read');
  const early = Date.parse('2026-11-27T10:00:11.000Z');
  assert.equal(outboxState({ ...base, state: 'delivered' }, early).state, 'delivered', 'within its TTL');
});

test('serve runs its command without a shell: stdin is the body, stdout the reply', async () => {
  const r = await runForReply('tr', ['a-z', 'A-Z'], Buffer.from('hello $HOME; `id`'), 10_000);
  assert.deepEqual(r, { ok: true, stdout: Buffer.from('HELLO $HOME; `ID`') });
  // A command that reads no input is no failure (its stdin closes early).
  const quiet = await runForReply('true', [], Buffer.alloc(256 * 1024), 10_000);
  assert.equal(quiet.ok, true);
});

test('a failed command is an error reply: its status and the end of its stderr; a signal, a timeout, too much output', async () => {
  const sh = (script: string, timeoutMs = 10_000) =>
    runForReply('sh', ['-c', script], Buffer.alloc(0), timeoutMs);
  assert.deepEqual(await sh('echo out; echo "disk full" >&2; exit 3'), {
    ok: false,
    why: 'exit status 3: disk full',
  });
  assert.deepEqual(await sh('exit 2'), { ok: false, why: 'exit status 2' });
  assert.deepEqual(await sh('kill -TERM $$'), { ok: false, why: 'killed by SIGTERM' });
  assert.deepEqual(await sh('sleep 30', 200), { ok: false, why: 'no answer within 200 ms' });
  assert.deepEqual(await sh('head -c 1100000 /dev/zero; sleep 30'), {
    ok: false,
    why: 'its output passed 1 MiB, the most a reply holds',
  });
  const long = await sh('head -c 10000 /dev/zero | tr "\\0" e >&2; exit 1');
  assert.ok(!long.ok && long.why.length < 4200, 'stderr is kept to its end');
});

test('a stopped command answers at once, even when a child of its own still holds its output open', async () => {
  // A background child keeps the pipes and writes a mark 10 s later; the shell waits for it and is
  // killed at 200 ms. An answer held until the pipes close would come after the mark.
  const dir = mkdtempSync(join(tmpdir(), 'cb-run-for-reply-'));
  const [pidFile, mark] = [join(dir, 'pid'), join(dir, 'mark')];
  try {
    const script = `(sleep 10; echo late > ${mark}) & echo $! > ${pidFile}; wait`;
    const r = await runForReply('sh', ['-c', script], Buffer.alloc(0), 200);
    assert.deepEqual(r, { ok: false, why: 'no answer within 200 ms' });
    assert.ok(!existsSync(mark), 'the answer came before the child ended');
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // ended already
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve refuses at once a command that is not there', () => {
  checkProgram('tr');
  assert.throws(
    () => checkProgram('no-such-program-here'),
    /cannot run 'no-such-program-here': no such program in PATH/,
  );
  assert.throws(() => checkProgram('/nonexistent/x'), /cannot run '\/nonexistent\/x': no such program/);
});
