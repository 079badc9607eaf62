/**
 * `clawbridge connections` with two real agents: a forward connection, a SOCKS connection, a reverse
 * forward connection, a UDP flow and a
 * terminal are listed on both sides (forward / socks / terminal-opened on the opener, tcp-exit /
 * terminal-served on the exit) with their peer, ends, bytes and age; `connections close ID` cuts that
 * one connection only, the others keep carrying bytes; an unknown id is a one-line error.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import {
  AuthMethod,
  decodeReply,
  encodeGreeting,
  encodeRequest,
  SocksCommand,
  SocksReply,
} from '../../src-main/protocol/socks5.js';
import { agentCall, CLI, cli, stopAll, nodeId } from '../helpers/processes.js';
import { ok, startPair } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** A TCP server that echoes every byte back. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** A connected client that collects what comes back, and whether it closed. */
interface Client {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}

function collect(socket: Socket, skip = 0): Client {
  let got = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  return { socket, received: () => got.subarray(skip).toString('latin1'), closed: () => closed };
}

async function openTcp(port: number): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return collect(socket);
}

/** A SOCKS5 CONNECT (no auth) through the proxy at `port` to the echo server; resolves once connected. */
async function openSocks(port: number, targetPort: number): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(encodeGreeting([AuthMethod.None]));
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length === 2) {
        socket.write(
          encodeRequest({
            command: SocksCommand.Connect,
            address: { type: 'ipv4', host: '127.0.0.1', port: targetPort },
          }),
        );
        return;
      }
      const d = decodeReply(buf.subarray(2));
      if (d.status !== 'done') return;
      socket.off('data', onData);
      if (d.value.reply !== SocksReply.Succeeded) reject(new Error(`SOCKS reply ${d.value.reply}`));
      else resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return collect(socket);
}

/** Sends `text` and waits for it to come back through the echo server. */
async function echoes(c: Client, text: string): Promise<void> {
  const before = c.received().length;
  c.socket.write(text);
  await until(`echo of ${text}`, () => c.received().slice(before).includes(text), 30_000);
}

/**
 * What `clawbridge connections --json` lists, asked over the control socket: the waits below poll it,
 * and a CLI process a poll cost ~0.4 s of CPU. The command's table and `connections close` are run.
 */
function list(home: string): Promise<ConnectionInfo[]> {
  return agentCall(home, 'connections.list', {});
}

function one(all: ConnectionInfo[], kind: ConnectionInfo['kind']): ConnectionInfo {
  const found = all.filter((c) => c.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in ${JSON.stringify(all)}`);
  return found[0]!;
}

test(
  'connections lists forwards, proxies, exits and terminals; close cuts one only',
  { timeout: 120_000 },
  async () => {
    const echo = await echoServer();
    after(() => echo.server.close());
    const pair = await startPair();
    const home = ['--home', pair.homeA];
    const [fwdPort, socksPort] = await Promise.all([freePort(), freePort()]);
    await ok([
      'forward',
      'add',
      '--local',
      String(fwdPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${echo.port}`,
      '--name',
      'f',
      ...home,
    ]);
    await ok([
      'proxy',
      'add',
      '--socks',
      String(socksPort),
      '--via',
      'b',
      '--name',
      's',
      '--no-auth',
      ...home,
    ]);
    const idB = await nodeId(pair.homeB);
    // A UDP forward to a UDP echo server: each client address is a flow, listed while it lives.
    const udpEcho = createSocket('udp4');
    udpEcho.on('message', (m, r) => udpEcho.send(m, r.port, r.address));
    await new Promise<void>((r) => udpEcho.bind(0, '127.0.0.1', r));
    after(() => udpEcho.close());
    const udpPort = await freePort();
    await ok([
      'forward',
      'add',
      '--udp',
      '--local',
      String(udpPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${udpEcho.address().port}`,
      '--name',
      'u',
      ...home,
    ]);
    const udpClient = createSocket('udp4');
    after(() => udpClient.close());
    let udpBack = 0;
    udpClient.on('message', () => udpBack++);
    await until(
      'a datagram back through the UDP forward',
      () => {
        udpClient.send('udp hello', udpPort, '127.0.0.1');
        return udpBack > 0;
      },
      30_000,
    );
    // A reverse forward: b listens on its loopback, each connection comes back to the echo server here.
    const revPort = await freePort();
    await ok(['peers', 'allow', 'a', 'listen', '--home', pair.homeB]);
    await ok([
      'forward',
      'add',
      '--reverse',
      '--via',
      'b',
      '--listen',
      String(revPort),
      '--to',
      `127.0.0.1:${echo.port}`,
      '--name',
      'r',
      ...home,
    ]);

    const fwd = await openTcp(fwdPort);
    await echoes(fwd, 'forward hello');
    const socks = await openSocks(socksPort, echo.port);
    await echoes(socks, 'socks hello');
    // A terminal on b running cat: what we type comes back.
    const term = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let termOut = '';
    let termErr = '';
    term.stdout.setEncoding('utf8').on('data', (c: string) => (termOut += c));
    term.stderr.setEncoding('utf8').on('data', (c: string) => (termErr += c));
    const termExit = new Promise<number | null>((r) => term.on('close', (code) => r(code)));
    term.stdin.write('term hello\n');
    await until('terminal echo', () => termOut.includes('term hello'), 30_000);
    const rev = await openTcp(revPort);
    await echoes(rev, 'reverse hello');

    // The opener's side: each with its peer, ends, bytes both ways and age.
    const onA = await list(pair.homeA);
    const f = one(onA, 'forward');
    const s = one(onA, 'socks');
    const t = one(onA, 'terminal-opened');
    for (const c of [f, s, t]) {
      assert.deepEqual(c.peer, { name: 'b', fingerprint: idB.fingerprint });
      assert.ok(c.bytesIn > 0 && c.bytesOut > 0, `bytes both ways: ${JSON.stringify(c)}`);
      assert.ok(
        c.ageMs >= 0 && !Number.isNaN(Date.parse(c.openedAt)),
        'c.ageMs >= 0 && !Number.isNaN(Date.parse(c.openedAt))',
      );
      assert.match(c.id, /^c[0-9a-z]+$/);
    }
    assert.equal(f.to, `127.0.0.1:${echo.port}`);
    assert.match(f.from, /^127\.0\.0\.1:\d+$/);
    assert.equal(s.to, `127.0.0.1:${echo.port}`);
    assert.equal(t.to, 'cat');
    const u = one(onA, 'udp');
    assert.deepEqual(u.peer, { name: 'b', fingerprint: idB.fingerprint });
    assert.equal(u.to, `127.0.0.1:${udpEcho.address().port}`);
    assert.ok(u.bytesIn > 0 && u.bytesOut > 0, `udp bytes both ways: ${JSON.stringify(u)}`);
    const r = one(onA, 'reverse');
    assert.deepEqual(r.peer, { name: 'b', fingerprint: idB.fingerprint });
    assert.equal(r.to, `127.0.0.1:${echo.port}`);
    assert.ok(r.bytesIn > 0 && r.bytesOut > 0, `reverse bytes both ways: ${JSON.stringify(r)}`);
    // The exit's side: both TCP connections as exits, the terminal as served.
    const onB = await list(pair.homeB);
    assert.equal(onB.filter((c) => c.kind === 'tcp-exit').length, 2, JSON.stringify(onB));
    const served = one(onB, 'terminal-served');
    assert.equal(served.peer?.name, 'a');
    assert.equal(served.to, 'cat');
    assert.ok(served.bytesIn > 0 && served.bytesOut > 0, 'served.bytesIn > 0 && served.bytesOut > 0');
    const human = await ok(['connections', ...home]);
    assert.match(human, /^ID\s+KIND\s+PEER\s+FROM\s+TO\s+IN\s+OUT\s+AGE$/m);

    // Closing the forward's connection cuts it, and only it.
    const closed = await ok(['connections', 'close', f.id, ...home]);
    assert.match(closed, new RegExp(`^closed forward connection ${f.id}: `));
    await until('forward client cut', () => fwd.closed(), 30_000);
    await echoes(socks, 'socks still here');
    term.stdin.write('term still here\n');
    await until('terminal still echoes', () => termOut.includes('term still here'), 30_000);
    await until(
      'forward off the lists',
      async () => {
        const [a, b] = await Promise.all([list(pair.homeA), list(pair.homeB)]);
        return !a.some((c) => c.id === f.id) && b.filter((c) => c.kind === 'tcp-exit').length === 1;
      },
      30_000,
    );

    // Hanging up the served terminal from b: the viewer is told why; the SOCKS connection carries on.
    await ok(['connections', 'close', served.id, '--home', pair.homeB]);
    assert.notEqual(await termExit, 0);
    // b's owner did it, and the viewer on a is told so by name ("this node" would be a there).
    assert.match(termErr, /closed by the owner of b$/m);
    await echoes(socks, 'socks after the terminal');
    await until(
      'terminal off the list',
      async () => !(await list(pair.homeA)).some((c) => c.kind === 'terminal-opened'),
      30_000,
    );

    // An id that is not (or no longer) there: one line, and the command that lists them.
    const unknown = await cli(['connections', 'close', f.id, ...home]);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      `clawbridge: no open connection ${f.id} here: it ended, or the id is mistyped (\`clawbridge connections --home ${pair.homeA}\`)\n`,
    );
    socks.socket.destroy();
  },
);
