/**
 * The tcp-connect service end to end over an in-memory link: the exit dials, answers with a result
 * message, splices with half-close; failures arrive as ConnectErrors whose `failure` front ends map.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, Socket } from 'node:net';
import { ConnectError } from '../../../src-main/forwards/dialer.js';
import { classifyDialError, dial } from '../../../src-main/forwards/tcp-connect-service.js';
import { COPY_AT_BYTES, RetainedBytes } from '../../../src-main/mux/retained-bytes.js';
import { ConnectStatus } from '../../../src-main/forwards/tcp-connect-protocol.js';
import type { Duplex } from 'node:stream';
import { readAll } from '../mux/mux-fixtures.js';
import { StreamResumes } from '../../../src-main/forwards/stream-resumes.js';
import { closedPort, echoServer, memoryExit } from './fixtures.js';
import { until } from '../../helpers/wait.js';

const echo = await echoServer(' bye');
after(() => echo.server.close());

/** The dialer hands streams over paused (nothing may be lost before a pipe); read the rest of one. */
const readRest = (stream: Duplex) => {
  const all = readAll(stream);
  stream.resume();
  return all;
};

async function failureOf(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the connection to fail');
}

test('bytes go both ways; the opener’s FIN reaches the target and the target’s reply still arrives', async () => {
  const exit = memoryExit();
  const stream = await exit.dialer.connect('b', '127.0.0.1', echo.port);
  stream.write('hello');
  stream.end();
  assert.equal((await readRest(stream)).toString(), 'hello bye');
  exit.close();
});

test('the exit answers the OPEN once it has dialed, so the ACCEPT and the result leave together', async () => {
  // A target that takes 100 ms to answer its SYN (a far host): the ACCEPT waits for it, instead of
  // going on its own a round trip of the exit's before the result, as a frame and a record of its own.
  const DIAL_MS = 100;
  let dialed = 0;
  const exit = memoryExit({
    connect: (options) => {
      const socket = new Socket({ allowHalfOpen: true });
      setTimeout(() => {
        socket.connect(options);
        socket.once('connect', () => (dialed = performance.now()));
      }, DIAL_MS);
      return socket;
    },
  });
  const t0 = performance.now();
  const stream = await exit.open({ host: '127.0.0.1', port: echo.port });
  assert.ok(dialed > 0, 'the target was connected before the ACCEPT came');
  assert.ok(performance.now() - t0 >= DIAL_MS, 'performance.now() - t0 >= DIAL_MS');
  const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
  assert.equal(first[1], ConnectStatus.Ok, 'the result (version, status, …) follows the ACCEPT');
  stream.destroy();
  exit.close();
});

test('an opener that gives up stops the exit’s dial at once, as does the link closing', async () => {
  // A destination that never answers its SYN (a black hole): only the exit's 10 s bound would end it.
  const sockets: Socket[] = [];
  const exit = memoryExit({
    connect: () => {
      const socket = new Socket({ allowHalfOpen: true });
      sockets.push(socket);
      return socket;
    },
  });
  await assert.rejects(exit.open({ host: '127.0.0.1', port: 9 }, { timeoutMs: 50 }), /did not answer/);
  await until('the dial to stop when the opener gave up', () => sockets[0]?.destroyed === true);
  const logged = exit.exitLog.lines.map((l) => l.msg);
  assert.ok(
    logged.some((m) => /gone while this side dialed/.test(m)),
    logged.join('\n'),
  );
  assert.ok(!logged.some((m) => /tcp-connect failed/.test(m)), 'an abandoned dial is not a failure');

  const pending = exit.open({ host: '127.0.0.1', port: 9 }).catch((err: Error) => err);
  await until('the second dial to begin', () => sockets.length === 2);
  exit.close();
  await until('the dial to stop when the link closed', () => sockets[1]!.destroyed);
  assert.ok((await pending) instanceof Error, '(await pending) instanceof Error');
});

test('a resume ID the opener already uses is refused before anything is dialed', async () => {
  const resumes = new StreamResumes(5_000);
  let dials = 0;
  const exit = memoryExit({
    resumes,
    connect: (options) => {
      dials++;
      return connect(options);
    },
  });
  const resume = 'ab'.repeat(16);
  const first = await exit.open({ host: '127.0.0.1', port: echo.port, resume });
  assert.equal(dials, 1);
  await assert.rejects(
    exit.open({ host: '127.0.0.1', port: echo.port, resume }),
    /that resume ID is already in use/,
  );
  assert.equal(dials, 1, 'the refused request dialed nothing');
  first.destroy();
  exit.close();
});

test('names are resolved at the exit peer', async () => {
  const exit = memoryExit();
  const stream = await exit.dialer.connect('b', 'localhost', echo.port);
  stream.end('x');
  assert.equal((await readRest(stream)).toString(), 'x bye');
  exit.close();
});

test('a closed port is "refused", with the exit naming the target in its log', async () => {
  const exit = memoryExit();
  const port = await closedPort();
  const err = await failureOf(exit.dialer.connect('b', '127.0.0.1', port));
  assert.equal(err.failure, 'refused');
  assert.equal(err.message, `cannot reach 127.0.0.1:${port} via b: connection refused`);
  assert.ok(
    exit.exitLog.lines.some((l) => l.level === 40 && l.msg === 'tcp-connect failed: connection refused'),
    "exit.exitLog.lines.some((l) => l.level === 40 && l.msg === 'tcp-connect failed: connection refused')",
  );
  exit.close();
});

test('without the forward permission the peer refuses with its own words', async () => {
  const exit = memoryExit({ allow: ['terminal'] });
  const err = await failureOf(exit.dialer.connect('b', '127.0.0.1', echo.port));
  assert.equal(err.failure, 'permission-denied');
  assert.equal(
    err.message,
    'permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)',
  );
  exit.close();
});

test('forwardTo limits destinations, by the name asked for or the address it resolves to', async () => {
  const strict = memoryExit({ forwardTo: ['127.0.0.1:1', '*.example:443'] });
  const err = await failureOf(strict.dialer.connect('b', '127.0.0.1', echo.port));
  assert.equal(err.failure, 'not-allowed');
  assert.equal(err.message, `b does not allow forwards from a to 127.0.0.1:${echo.port}`);
  strict.close();

  const byAddress = memoryExit({ forwardTo: [`127.0.0.*:${echo.port}`] });
  const s = await byAddress.dialer.connect('b', 'localhost', echo.port);
  s.end('y');
  assert.equal((await readRest(s)).toString(), 'y bye');
  byAddress.close();
});

test('an unknown peer fails before anything is opened', async () => {
  const exit = memoryExit();
  const err = await failureOf(exit.dialer.connect('office', '127.0.0.1', echo.port));
  assert.equal(err.failure, 'unknown-peer');
  assert.match(err.message, /^no peer named 'office'/);
  exit.close();
});

test('bad arguments are rejected by the exit, not dialed', async () => {
  const exit = memoryExit();
  const err = await failureOf(exit.dialer.connect('b', 'bad host!', 80));
  assert.equal(err.failure, 'general');
  assert.match(err.message, /^peer b refused: bad tcp-connect arguments: host: /);
  exit.close();
});

test('a reset by the target resets the opener’s stream', async () => {
  const rude = createServer((s) => s.on('data', () => s.resetAndDestroy()));
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()));
  const exit = memoryExit();
  const stream = await exit.dialer.connect('b', '127.0.0.1', (rude.address() as { port: number }).port);
  stream.write('x');
  await assert.rejects(readRest(stream), /reset by the peer|ECONNRESET|closed abruptly/);
  exit.close();
  rude.close();
});

test('socket and DNS errors map to result statuses', () => {
  const cases: [string, number][] = [
    ['ECONNREFUSED', ConnectStatus.Refused],
    ['ENETUNREACH', ConnectStatus.NetworkUnreachable],
    ['EHOSTUNREACH', ConnectStatus.HostUnreachable],
    ['ETIMEDOUT', ConnectStatus.Timeout],
    ['ENOTFOUND', ConnectStatus.HostNotFound],
    ['EAI_AGAIN', ConnectStatus.HostNotFound],
    ['EWEIRD', ConnectStatus.GeneralFailure],
  ];
  for (const [code, status] of cases) {
    const err = Object.assign(new Error(`x ${code}`), { code });
    assert.equal(classifyDialError(err).status, status, code);
  }
  assert.equal(
    classifyDialError(Object.assign(new Error(''), { code: 'ENOTFOUND' })).message,
    'host not found',
  );
});

test('the exit reads what it sends back into retention slabs: a resumable stream keeps it without a copy', async () => {
  // ADR 0035: the dialed socket reads through slabReads, so RetainedBytes adopts what it read.
  const server = createServer((s) => s.end(Buffer.alloc(256 * 1024, 7)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const socket = await dial('127.0.0.1', port, {
    limits: undefined,
    signal: new AbortController().signal,
    notAllowed: 'not allowed',
  });
  const kept = new RetainedBytes();
  const chunks: Buffer[] = [];
  // 'data' hands on each read as it was pushed (an async iterator's read() may join buffered ones).
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => socket.once('end', resolve));
  socket.destroy(); // dial's sockets are half-open: the target's FIN does not close this side
  for (const chunk of chunks) kept.push(chunk);
  const bulk = chunks.filter((c) => c.length >= COPY_AT_BYTES);
  assert.ok(bulk.length > 0, 'some reads were bulk');
  const views = kept.views();
  for (const chunk of bulk) assert.ok(views.includes(chunk), 'a bulk read is kept as it was read');
  assert.deepEqual(Buffer.concat(views), Buffer.alloc(256 * 1024, 7));
  kept.drop(kept.size);
  server.close();
});
