/**
 * `clawbridge msg` as a person and a script use it (issue 54 items 2 and 3, must-be-true 1, 3 and 4),
 * with real agents on loopback linked directly, and `msg listen` / `msg serve` running as real
 * processes: a message sent shows up in `listen --json` within 1 s and `send --wait read` returns 0
 * only after the listener printed it; `--lines` and bytes that are not UTF-8; without the `message`
 * permission `send --wait delivered` fails naming it and where to grant it, and nothing arrives; 2 MiB
 * is refused at once naming the 1 MiB limit, nothing queued; `ask` against `serve --topic upper -- tr
 * a-z A-Z` prints the text upper-cased, and an error reply fails; the client library
 * (`clawbridge/client`, resolved through the package's exports) sends and listens, its receipts coming
 * as `message.states` events by ID (ADR 0059).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import type { StatusResult } from '../../src-main/api/contract.js';
import type {
  InboxMessage,
  MessageStatesEvent,
  OutboxMessage,
} from '../../src-main/messages/messages-contract.js';
import type * as ClientLibrary from '../../src-main/messages/client/agent-client.js';
import type { MessagesEvent } from '../../src-main/messages/compact-inbox.js';
import { C1_DEL_BIDI, ESCAPES, OSC52, TERMINAL_CONTROL } from '../helpers/hostile-peer.js';
import {
  agentCall,
  CLI,
  cli,
  cliJson,
  startProcess,
  stopAll,
  type CliResult,
  type Proc,
} from '../helpers/processes.js';
import { addPeer as addLoopbackPeer, online, startListeningAgent } from '../helpers/loopback-nodes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Runs one CLI command with `input` on its stdin. */
function cliWithInput(args: string[], input: Uint8Array, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => undefined); // refused before reading it all
    child.stdin.end(input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawbridge ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Node {
  home: string;
  status: StatusResult;
}

const agent = (name: string) => startListeningAgent(name, 'msgcli');

/**
 * `x` trusts `y` as `name`, allowing it `allow`, at its direct address: `peers add` over the control
 * socket, set-up that is not what this file checks (a CLI process costs ~0.4 s of CPU).
 */
async function addPeer(x: Node, y: Node, name: string, allow: string): Promise<void> {
  await addLoopbackPeer(
    x,
    { name, fingerprint: y.status.fingerprint, address: y.status.listen! },
    allow,
    true,
  );
}

/** The JSON lines a process printed so far. */
function jsonLines<T>(p: Proc): T[] {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

let a: Node;
let b: Node;
/** A third node that b does not allow `message`. */
let c: Node;

before(async () => {
  [a, b, c] = await Promise.all([agent('a'), agent('b'), agent('c')]);
  // b first, so a's first link finds a peer there.
  await addPeer(b, a, 'a', 'terminal,message');
  await addPeer(a, b, 'b', 'terminal,message');
  await addPeer(b, c, 'c', 'terminal');
  await addPeer(c, b, 'b', 'terminal,message');
  await Promise.all([online({ name: 'a', home: a.home }, 'b'), online({ name: 'c', home: c.home }, 'b')]);
});

test('send shows up in listen --json; --wait read returns 0 once the listener printed it', async () => {
  const listen = startProcess(['msg', 'listen', '--json', '--topic', 'chat', '--home', b.home]);
  // The first message waits for the listener to be up and the link to carry messages.
  const first = await cliWithInput(
    ['msg', 'send', 'b', '--topic', 'chat', '--home', a.home],
    Buffer.from('warm-up'),
  );
  assert.equal(first.code, 0, first.stderr);
  await listen.waitForLine(/warm-up/, 20_000);

  const startedAt = Date.now();
  const sent = await cli(['msg', 'send', 'b', 'hello b', '--topic', 'chat', '--json', '--home', a.home]);
  const queuedAt = Date.now();
  assert.equal(sent.code, 0, sent.stderr);
  const line = JSON.parse(sent.stdout) as { id: string; peer: string; topic: string; state: string };
  assert.deepEqual(Object.keys(line), ['id', 'peer', 'topic', 'state']);
  assert.equal(line.peer, 'b');
  await listen.waitForLine(new RegExp(line.id), 30_000);
  const shownAt = Date.now();
  // How soon is said, not asserted: a loaded machine's scheduler decides it; the bench measures it
  // (TARGET_MSG_LISTEN_P50_MS).
  const shownAfterMs = shownAt - startedAt;
  const printed = jsonLines<Record<string, unknown>>(listen).find((m) => m.id === line.id)!;
  assert.deepEqual(Object.keys(printed), ['id', 'from', 'topic', 'text', 'sentAt', 'receivedAt']);
  assert.deepEqual(printed.from, { name: 'a', fingerprint: a.status.fingerprint });
  assert.equal(printed.text, 'hello b');

  // --wait read: the receipt comes from b's listener having printed (and so acknowledged) it.
  const waited = await cli([
    'msg',
    'send',
    'b',
    'read me',
    '--topic',
    'chat',
    '--wait',
    'read',
    '--timeout',
    '20s',
    '--home',
    a.home,
  ]);
  assert.equal(waited.code, 0, waited.stderr);
  const id = waited.stdout.trim();
  assert.ok(
    jsonLines<{ id: string }>(listen).some((m) => m.id === id),
    'the listener printed it before send --wait read returned',
  );
  const out = await cliJson<OutboxMessage[]>(['msg', 'outbox', '--home', a.home]);
  assert.equal(out.find((m) => m.id === id)?.state, 'read');
  await listen.stop('SIGINT');
  assert.equal(listen.child.exitCode, 0, listen.stderr());
  console.log(
    `[msg-cli] listen printed a message ${shownAfterMs} ms after msg send was run, ${shownAt - queuedAt} ms after it returned`,
  );
});

test('--lines: one message per line, in order; bytes that are not UTF-8 arrive as the same bytes', async () => {
  const listen = startProcess(['msg', 'listen', '--json', '--topic', 'lines', '--home', b.home]);
  const lines = await cliWithInput(
    ['msg', 'send', 'b', '--lines', '--topic', 'lines', '--home', a.home],
    Buffer.from('one\ntwo\r\nthree\n'),
  );
  assert.equal(lines.code, 0, lines.stderr);
  assert.equal(lines.stdout.trim().split('\n').length, 3);
  const binary = Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x41]);
  const bin = await cliWithInput(['msg', 'send', 'b', '--topic', 'lines', '--home', a.home], binary);
  assert.equal(bin.code, 0, bin.stderr);
  await until('four messages printed', () => jsonLines(listen).length >= 4, 20_000);
  const got = jsonLines<{ text?: string; base64?: string }>(listen);
  assert.deepEqual(
    got.slice(0, 3).map((m) => m.text),
    ['one', 'two', 'three'],
  );
  assert.equal(got[3]!.base64, binary.toString('base64'));
  await listen.stop();

  // More lines than the agent lists at once, waited for: every receipt counts, also the early ones.
  const many = Array.from({ length: 1100 }, (_, i) => `${i + 1}`).join('\n');
  const bulk = await cliWithInput(
    [
      'msg',
      'send',
      'b',
      '--lines',
      '--topic',
      'bulk',
      '--wait',
      'delivered',
      '--timeout',
      '60s',
      '--json',
      '--home',
      a.home,
    ],
    Buffer.from(many),
    90_000,
  );
  assert.equal(bulk.code, 0, bulk.stderr);
  const states = bulk.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { state: string }).state);
  assert.equal(states.length, 1100);
  assert.ok(
    states.every((st) => st === 'delivered' || st === 'read'),
    "states.every((st) => st === 'delivered' || st === 'read')",
  );
});

test('--lines of 2,500 lines (three batches): each line arrives once, in order, and the IDs printed are those queued', async () => {
  const texts = Array.from({ length: 2500 }, (_, i) => `ordered ${i + 1}`);
  const sent = await cliWithInput(
    ['msg', 'send', 'b', '--lines', '--topic', 'ordered', '--json', '--home', a.home],
    Buffer.from(texts.join('\n') + '\n'),
    90_000,
  );
  assert.equal(sent.code, 0, sent.stderr);
  const ids = sent.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string }).id);
  assert.equal(ids.length, 2500);
  assert.deepEqual(ids, [...ids].sort(), 'IDs in the order of the lines');
  // Waited for over the control socket (a CLI process each poll cost ~0.4 s of CPU), then listed once.
  await until(
    'b holds 2500 messages on topic ordered',
    async () =>
      (await agentCall(b.home, 'messages.list', { topic: 'ordered', limit: 10_000 })).length >= 2500,
    60_000,
  );
  const got = await cliJson<{ id: string; text: string }[]>([
    'msg',
    'inbox',
    '--topic',
    'ordered',
    '--json',
    '--home',
    b.home,
  ]);
  assert.deepEqual(
    got.map((m) => m.text),
    texts,
  );
  assert.deepEqual(
    got.map((m) => m.id),
    ids,
  );
});

test('without the message permission: send --wait delivered fails naming it and where to grant it', async () => {
  const r = await cli([
    'msg',
    'send',
    'b',
    'let me in',
    '--wait',
    'delivered',
    '--timeout',
    '20s',
    '--home',
    c.home,
  ]);
  assert.notEqual(r.code, 0);
  // The receiver's words: the permission it lacks, and the command that grants it there.
  assert.match(
    r.stderr,
    /^clawbridge: message \S+ to b was refused: .*does not allow messages from c.*`clawbridge peers allow c message` there.* \(PERMISSION_DENIED\)\n$/,
  );
  assert.equal(r.stdout.trim().split('\n').length, 1, 'the ID is printed');
  const inbox = await cliJson<InboxMessage[]>(['msg', 'inbox', '--home', b.home]);
  assert.equal(
    inbox.filter((m) => m.from.fingerprint === c.status.fingerprint).length,
    0,
    'nothing reached the inbox',
  );
  const json = await cli(['msg', 'send', 'b', 'again', '--wait', 'delivered', '--json', '--home', c.home]);
  assert.notEqual(json.code, 0);
  const [sentLine, errorLine] = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(sentLine!.state, 'refused');
  assert.equal((errorLine!.error as { code: string }).code, 'MESSAGE_REFUSED');
});

test('2 MiB is refused, naming the 1 MiB limit; nothing is queued', async () => {
  const before = (await cliJson<OutboxMessage[]>(['msg', 'outbox', '--home', a.home])).length;
  const r = await cliWithInput(['msg', 'send', 'b', '--home', a.home], Buffer.alloc(2 * 1024 * 1024, 0x61));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^clawbridge: stdin holds more than 1 MiB \(1048576 bytes\), the most a message body holds: nothing was queued$/m,
  );
  const lines = await cliWithInput(
    ['msg', 'send', 'b', '--lines', '--home', a.home],
    Buffer.concat([Buffer.from('short\n'), Buffer.alloc(2 * 1024 * 1024, 0x61), Buffer.from('\n')]),
  );
  assert.equal(lines.code, 1);
  assert.match(lines.stderr, /message 2 of 2 is 2097152 bytes; a message body is at most 1 MiB/);
  const after = (await cliJson<OutboxMessage[]>(['msg', 'outbox', '--home', a.home])).length;
  assert.equal(after, before, 'nothing queued');
});

test('ask against serve --topic upper -- tr a-z A-Z prints the text upper-cased; an error reply fails', async () => {
  const serve = startProcess([
    'msg',
    'serve',
    '--topic',
    'upper',
    '--home',
    b.home,
    '--',
    'tr',
    'a-z',
    'A-Z',
  ]);
  const asked = await cli([
    'msg',
    'ask',
    'b',
    'hello there',
    '--topic',
    'upper',
    '--timeout',
    '20s',
    '--home',
    a.home,
  ]);
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(asked.stdout, 'HELLO THERE', 'the reply as it came, no line break added');
  await serve.waitForLine(/^answered \S+ from a: reply \S+$/m);

  const failing = startProcess([
    'msg',
    'serve',
    '--topic',
    'fail',
    '--home',
    b.home,
    '--',
    'sh',
    '-c',
    'echo "disk full" >&2; exit 3',
  ]);
  const failed = await cli(['msg', 'ask', 'b', 'x', '--topic', 'fail', '--timeout', '20s', '--home', a.home]);
  assert.equal(failed.code, 1);
  assert.equal(failed.stdout, '');
  assert.match(failed.stderr, /^clawbridge: b answered with an error:\nexit status 3: disk full\n$/);
  // Nobody serves that topic: a timeout saying so.
  const none = await cli(['msg', 'ask', 'b', 'x', '--topic', 'nobody', '--timeout', '2s', '--home', a.home]);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /no reply from b within 2 s: it has the question \(delivered\), but nothing there answered topic nobody/,
  );
  await serve.stop('SIGTERM');
  await failing.stop('SIGTERM');
  assert.equal(serve.child.exitCode, 0, serve.stderr());
});

test('serve without --topic answers an ask without one (both `default`); an ask nobody answered is listed expired', async () => {
  const serve = startProcess(['msg', 'serve', '--home', b.home, '--', 'tr', 'a-z', 'A-Z']);
  const asked = await cli(['msg', 'ask', 'b', 'plain question', '--timeout', '20s', '--home', a.home]);
  assert.equal(asked.code, 0, `${asked.stderr}${serve.stderr()}`);
  assert.equal(asked.stdout, 'PLAIN QUESTION', 'the serve on the default topic answered');
  await serve.waitForLine(/^answered \S+ from a: reply \S+$/m);
  await serve.stop('SIGTERM');

  const none = await cli([
    'msg',
    'ask',
    'b',
    'x',
    '--topic',
    'unserved',
    '--timeout',
    '2s',
    '--home',
    a.home,
  ]);
  assert.equal(none.code, 1, 'nobody answered');
  const outbox = await cli(['msg', 'outbox', '--home', a.home]);
  const row = outbox.stdout.split('\n').find((l) => /\sunserved\s/.test(l));
  assert.ok(row, `the question is listed: ${outbox.stdout}`);
  assert.match(
    row,
    /\sexpired\s.*not read before its TTL ran out/,
    'not `delivered`: nobody will read it now',
  );
});

test('a body full of terminal controls reaches no terminal as one: listen, inbox and ask show it escaped', async () => {
  const hostile = `${ESCAPES}${OSC52}${C1_DEL_BIDI}\tTAB`;
  /** No control a terminal acts on, and no line the body forged. */
  const assertPlain = (what: string, text: string) => {
    assert.equal(TERMINAL_CONTROL.test(text), false, `${what}: ${JSON.stringify(text)}`);
    assert.equal(/^FAKE-LINE/m.test(text), false, `${what} forged a line: ${text}`);
  };
  // One topic for each listener: a listener marks what it prints read, so two on one topic race for it.
  const plain = startProcess(['msg', 'listen', '--topic', 'hostile', '--home', b.home]);
  const json = startProcess(['msg', 'listen', '--json', '--topic', 'hostile-json', '--home', b.home]);
  for (const topic of ['hostile', 'hostile-json']) {
    const sent = await cliWithInput(
      ['msg', 'send', 'b', '--topic', topic, '--home', a.home],
      Buffer.from(hostile),
    );
    assert.equal(sent.code, 0, sent.stderr);
  }
  await plain.waitForLine(/TAB$/m, 20_000);
  await json.waitForLine(/TAB/, 20_000);
  assert.equal(plain.stdout().split('\n').filter(Boolean).length, 1, 'one message, one line');
  assertPlain('listen', plain.stdout());
  assertPlain('listen --json', json.stdout());
  assert.equal(
    (JSON.parse(json.stdout()) as { text: string }).text,
    hostile,
    'JSON carries the body as sent',
  );
  assertPlain('inbox', (await cli(['msg', 'inbox', '--home', b.home])).stdout);
  await plain.stop();
  await json.stop();

  const serve = startProcess(['msg', 'serve', '--topic', 'echo', '--home', b.home, '--', 'cat']);
  const asked = await cliWithInput(
    ['msg', 'ask', 'b', '--topic', 'echo', '--timeout', '20s', '--home', a.home],
    Buffer.from(hostile),
  );
  assert.equal(asked.code, 0, asked.stderr);
  // The reply is the served program's output: its lines stay lines (as `term` shows them), and
  // nothing else in it acts on the terminal.
  assert.equal(
    TERMINAL_CONTROL.test(asked.stdout.replaceAll('\t', ' ')),
    false,
    JSON.stringify(asked.stdout),
  );
  assert.match(asked.stdout, /\\u\{001b\}\]52;c;/, 'OSC 52 shown, not acted on');
  assert.match(asked.stdout, /\tTAB$/, 'a tab stays a tab');
  await serve.stop();
});

test('inbox, outbox and delete', async () => {
  const sent = await cli([
    'msg',
    'send',
    'b',
    'to delete',
    '--topic',
    'del',
    '--wait',
    'delivered',
    '--home',
    a.home,
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  const id = sent.stdout.trim();
  const inbox = await cli(['msg', 'inbox', '--unread', '--topic', 'del', '--home', b.home]);
  assert.match(
    inbox.stdout,
    new RegExp(`${id}  a \\(${a.status.fingerprint.slice(0, 8)}\\)\\s+del\\s+\\S+\\s+no\\s+to delete`),
  );
  const outbox = await cli(['msg', 'outbox', '--home', a.home]);
  assert.match(outbox.stdout, new RegExp(`${id}  b \\(\\w{8}\\)\\s+del\\s+9 B\\s+delivered`));
  const deleted = await cli(['msg', 'delete', id, '--home', b.home]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, 'deleted 1 message\n');
  const again = await cli(['msg', 'delete', id, '--home', b.home]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /1 of the IDs given are in neither the inbox nor the outbox/);
});

test("the client library: import('clawbridge/client') sends, waits for the receipt, listens", async () => {
  // Through the package's own exports (a self-reference), as a program that installed it would.
  const specifier = 'clawbridge/client';
  const lib = (await import(specifier)) as typeof ClientLibrary;
  const [onA, onB] = await Promise.all([
    lib.connectAgent({ home: a.home }),
    lib.connectAgent({ home: b.home }),
  ]);
  try {
    const got: InboxMessage[] = [];
    const listening = onB.listen({ topic: 'lib' }, (m) => void got.push(m));
    await listening.ready;
    const sent = await onA.send('b', Buffer.from([1, 2, 3]), {
      topic: 'lib',
      wait: 'read',
      timeoutMs: 20_000,
    });
    assert.equal(sent.state, 'read');
    assert.deepEqual(lib.bodyBytes(got[0]!), Buffer.from([1, 2, 3]));
    await listening.stop();
    await assert.rejects(onA.send('nosuch', 'x'), (err: unknown) => lib.isClawError(err, 'PEER_NOT_FOUND'));
  } finally {
    onA.close();
    onB.close();
  }
});

test('a program sending 600 messages: receipts come to it as message.states events by ID, not as 1,800 message.state ones; a plain subscriber still gets one per message (ADR 0059)', async () => {
  /** A raw control connection to a's agent, subscribed by `first`, counting its event lines. */
  const subscriber = (first: string) => {
    const socket = connect(controlSocketPath(a.home));
    const events: { event: string; data: unknown }[] = [];
    const replies: unknown[] = [];
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as { event?: string; data?: unknown };
        buf = buf.slice(nl + 1);
        if (line.event !== undefined) events.push(line as { event: string; data: unknown });
        else replies.push(line);
      }
    });
    socket.write(first);
    return { socket, events, replies };
  };
  const batched = subscriber('{"id":1,"method":"events.subscribe","params":{"messageStates":"batched"}}\n');
  const plain = subscriber('"subscribe"\n');
  await until('both subscribed', () => batched.replies.length === 1 && plain.events.length > 0, 30_000);
  assert.deepEqual(batched.replies[0], {
    id: 1,
    ok: true,
    result: { messageStates: 'batched', messages: 'each' },
  });
  const specifier = 'clawbridge/client';
  const lib = (await import(specifier)) as typeof ClientLibrary;
  const onA = await lib.connectAgent({ home: a.home });
  try {
    const sent = await Promise.all(
      Array.from({ length: 600 }, (_, i) => onA.send('b', `batched ${i}`, { topic: 'batched' })),
    );
    const ids = sent.map((m) => m.id);
    const done = await onA.waitFor(ids, 'delivered', 30_000);
    assert.ok(
      done.every((m) => m.state === 'delivered' || m.state === 'read'),
      "done.every((m) => m.state === 'delivered' || m.state === 'read')",
    );
    const mine = new Set(ids);
    const deliveredIn = (list: { event: string; data: unknown }[]) => {
      const got = new Set<string>();
      for (const e of list) {
        if (e.event !== 'message.states') continue;
        for (const c of (e.data as MessageStatesEvent).changes)
          if (c.state === 'delivered') for (const id of c.ids) if (mine.has(id)) got.add(id);
      }
      return got.size;
    };
    const plainDelivered = () =>
      plain.events.filter(
        (e) =>
          e.event === 'message.state' &&
          (e.data as OutboxMessage).state === 'delivered' &&
          mine.has((e.data as OutboxMessage).id),
      ).length;
    await until(
      'every delivered on both subscribers',
      () => deliveredIn(batched.events) === 600 && plainDelivered() === 600,
      30_000,
    );
    const statesEvents = batched.events.filter((e) => e.event === 'message.states').length;
    assert.equal(
      batched.events.filter((e) => e.event === 'message.state').length,
      0,
      'no message.state to a batched subscriber',
    );
    // Sent and delivered for 600 messages: far fewer events than messages (a receipt is one change).
    assert.ok(statesEvents < 200, `${statesEvents} message.states events for 600 messages`);
  } finally {
    onA.close();
    batched.socket.destroy();
    plain.socket.destroy();
  }
});

test('a program listening to 600 messages: they come to it as `messages` events of rows, in order, each once; a plain subscriber still gets a `message` each (ADR 0122)', async () => {
  /** A raw control connection to b's agent, subscribed by `first`, keeping its event lines. */
  const subscriber = (first: string) => {
    const socket = connect(controlSocketPath(b.home));
    const events: { event: string; data: unknown }[] = [];
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as { event?: string; data?: unknown };
        buf = buf.slice(nl + 1);
        if (line.event !== undefined) events.push(line as { event: string; data: unknown });
      }
    });
    socket.write(first);
    return { socket, events };
  };
  const batched = subscriber('{"id":1,"method":"events.subscribe","params":{"messages":"batched"}}\n');
  const plain = subscriber('"subscribe"\n');
  await until('both subscribed', () => batched.events.length > 0 && plain.events.length > 0, 30_000);
  const specifier = 'clawbridge/client';
  const lib = (await import(specifier)) as typeof ClientLibrary;
  const [onA, onB] = await Promise.all([
    lib.connectAgent({ home: a.home }),
    lib.connectAgent({ home: b.home }),
  ]);
  const heard: string[] = [];
  const listening = onB.listen({ topic: 'rows' }, (m) => void heard.push(m.text!));
  try {
    await listening.ready;
    const texts = Array.from({ length: 600 }, (_, i) => `row ${i}`);
    await Promise.all(texts.map((t) => onA.send('b', t, { topic: 'rows' })));
    const rowsIn = () =>
      batched.events
        .filter((e) => e.event === 'messages')
        .flatMap((e) => (e.data as MessagesEvent).rows.filter((r) => r[2] === 'rows').map((r) => r[3]));
    const plainIn = () =>
      plain.events
        .filter((e) => e.event === 'message' && (e.data as InboxMessage).topic === 'rows')
        .map((e) => (e.data as InboxMessage).text);
    await until(
      'all 600 on both subscribers and the listener',
      () => rowsIn().length >= 600 && plainIn().length >= 600 && heard.length >= 600,
      30_000,
    );
    assert.deepEqual(rowsIn(), texts, 'the rows: each message once, in the order sent');
    assert.deepEqual(plainIn(), texts, 'a plain subscriber: a `message` each, as before');
    assert.deepEqual(heard, texts, "the library's listener: each once, in order");
    assert.equal(
      batched.events.filter((e) => e.event === 'message').length,
      0,
      'no `message` event to a batched subscriber',
    );
    const events = batched.events.filter((e) => e.event === 'messages').length;
    assert.ok(events < 300, `${events} messages events for 600 messages`);
    const row = (batched.events.find((e) => e.event === 'messages')!.data as MessagesEvent).rows.find(
      (r) => r[3] === 'row 0',
    )!;
    const first = (await onB.list({ topic: 'rows' })).find((m) => m.text === 'row 0')!;
    assert.deepEqual(
      [row[1], row[5]],
      [first.id, Date.parse(first.sentAt)],
      'a row names its message by ID and sent-at time',
    );
  } finally {
    await listening.stop();
    onA.close();
    onB.close();
    batched.socket.destroy();
    plain.socket.destroy();
  }
});
