/**
 * What a node serves, seen on that node (issue 53 item 2; docs/adr/0047-one-service-registry.md):
 * three real agents on loopback, b serving a five things at once — a reverse forward's download
 * through the listener b holds for a, a UDP flow b exits for a, a route a → c whose link b carries as
 * a hop, a terminal, and a TCP forward b exits. `connections --json` on b lists each while it runs;
 * `peers deny a listen` and `peers deny a forward` end the matching ones within 1 s; and `log --json`
 * on b has a summary line for each, with bytes and duration, once it ended.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import { controlConnection } from '../helpers/control-connection.js';
import { agentCall, CLI, stopAll } from '../helpers/processes.js';
import { addPeer, online, routeVia, startLoopbackNode } from '../helpers/loopback-nodes.js';
import { fileServer, ok } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

/** The bound the issue names for a denied permission to end its connections, in ms. */
const ENDED_WITHIN_MS = 1000;

/**
 * What `clawbridge connections --json` lists, asked over the control socket: the waits below poll it,
 * and a CLI process a poll cost ~0.4 s of CPU (docs/testing.md §The slowest files, and keeping the suite fast).
 */
function list(home: string): Promise<ConnectionInfo[]> {
  return agentCall(home, 'connections.list', {});
}

/** A client socket and when it closed (Date.now()), once it has. */
function watchClose(socket: Socket): { closedAt: () => number | undefined } {
  let closedAt: number | undefined;
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  return { closedAt: () => closedAt };
}

test(
  'the serving node lists what it serves, ends what a denial takes away within 1 s, and logs a summary of each',
  { skip, timeout: 240_000 },
  async () => {
    const [a, b, c] = await Promise.all([
      startLoopbackNode('a', 'served'),
      startLoopbackNode('b', 'served'),
      startLoopbackNode('c', 'served'),
    ]);
    // a dials b; b dials c; a reaches c only through b (a has no address for c).
    await addPeer(a, b, 'terminal', true);
    await addPeer(a, c, 'terminal', false);
    await addPeer(b, a, 'terminal,forward,listen,relay', false);
    await addPeer(b, c, 'terminal', true);
    await addPeer(c, b, 'terminal', false);
    await addPeer(c, a, 'terminal', false);
    await online(a, 'b');

    // A route a → c via b: b carries its link as a hop.
    await routeVia(a, 'c', ['b']);

    // A reverse forward: b listens for a, each connection comes back to a file server on a's side.
    const files = await fileServer(16 * 1024 * 1024);
    after(() => files.server.close());
    const revPort = await freePort();
    await ok([
      'forward',
      'add',
      '--reverse',
      '--via',
      'b',
      '--listen',
      String(revPort),
      '--to',
      `127.0.0.1:${files.port}`,
      '--name',
      'r',
      '--home',
      a.home,
    ]);
    // A download through it that stays open: the client reads a little, then stops reading.
    const download = connect(revPort, '127.0.0.1');
    const downloadClosed = watchClose(download);
    let downloaded = 0;
    let holdBack = true;
    download.on('data', (chunk: Buffer) => {
      downloaded += chunk.length;
      if (holdBack && downloaded > 256 * 1024) download.pause();
    });
    await until(
      'b listening for a',
      async () => (await agentCall(a.home, 'forward.list', {})).some((f) => f.state === 'listening'),
      20_000,
    );
    download.write('GET /file HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('the download started', () => downloaded > 256 * 1024, 20_000);

    // A UDP forward that b exits, to an echo server: one flow.
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
      '--home',
      a.home,
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

    // A TCP forward that b exits, to an echo server.
    const echo = createServer((s) => (s.on('error', () => undefined), s.pipe(s)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    after(() => echo.close());
    const fwdPort = await freePort();
    await ok([
      'forward',
      'add',
      '--local',
      String(fwdPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${(echo.address() as { port: number }).port}`,
      '--name',
      'f',
      '--home',
      a.home,
    ]);
    const tcp = connect(fwdPort, '127.0.0.1');
    const tcpClosed = watchClose(tcp);
    let echoed = '';
    tcp.setEncoding('utf8').on('data', (t: string) => (echoed += t));
    tcp.write('tcp hello');
    await until('the TCP forward echoes', () => echoed.includes('tcp hello'), 30_000);

    // A terminal on b running cat.
    const term = spawn(process.execPath, [CLI, 'term', 'b', '--home', a.home, '--', 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let termOut = '';
    term.stdout.setEncoding('utf8').on('data', (t: string) => (termOut += t));
    const termExit = new Promise<number | null>((r) => term.on('close', (code) => r(code)));
    term.stdin.write('term hello\n');
    await until('terminal echo', () => termOut.includes('term hello'), 20_000);

    // On b, each while it runs: its kind, a as the peer, bytes moved.
    const kinds = ['reverse-served', 'udp-exit', 'chain-hop', 'terminal-served', 'tcp-exit'] as const;
    const running = await until(
      'b lists all five with bytes',
      async () => {
        const onB = await list(b.home);
        const found = kinds.map((k) => onB.find((x) => x.kind === k && x.bytesIn + x.bytesOut > 0));
        return found.every(Boolean) && (found as ConnectionInfo[]);
      },
      30_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await list(b.home))}`);
    });
    for (const x of running)
      assert.deepEqual(x.peer, { name: 'a', fingerprint: a.fingerprint }, JSON.stringify(x));
    const byKind = Object.fromEntries(running.map((x) => [x.kind, x])) as Record<
      (typeof kinds)[number],
      ConnectionInfo
    >;
    assert.equal(byKind['udp-exit'].to, `127.0.0.1:${udpEcho.address().port}`);
    assert.deepEqual([byKind['chain-hop'].from, byKind['chain-hop'].to], ['a', 'c']);
    assert.equal(byKind['terminal-served'].to, 'cat');

    // `peers deny a listen` on b (the CLI, as a person runs it): the reverse download is off b's list
    // within 1 s of the command's return, read over b's control socket (no CLI start in the timing).
    const api = await controlConnection(b.home);
    after(() => api.close());
    const goneWithin = async (what: string, gone: (all: ConnectionInfo[]) => boolean, since: number) => {
      for (;;) {
        const all = (await api.call('connections.list', {})) as ConnectionInfo[];
        const ms = Date.now() - since;
        if (gone(all)) return { all, ms };
        assert.ok(
          ms <= ENDED_WITHIN_MS,
          `${what} still listed ${ms} ms after the deny: ${JSON.stringify(all)}`,
        );
        await sleep(20, 'a poll that measures how long the listing took to change');
      }
    };
    await ok(['peers', 'deny', 'a', 'listen', '--home', b.home]);
    const listenDone = Date.now();
    const afterListen = await goneWithin(
      'the reverse download',
      (all) => !all.some((x) => x.kind === 'reverse-served'),
      listenDone,
    );
    assert.ok(
      afterListen.all.some((x) => x.kind === 'tcp-exit') &&
        afterListen.all.some((x) => x.kind === 'udp-exit'),
      'what does not depend on listen carries on',
    );
    // The client was cut, not just unlisted: reading on, it meets the reset.
    holdBack = false;
    download.resume();
    await until('the reverse download cut', () => downloadClosed.closedAt() !== undefined, 30_000);

    // `peers deny a forward`: the TCP exit and the UDP flow end within 1 s; the terminal and hop stay.
    await ok(['peers', 'deny', 'a', 'forward', '--home', b.home]);
    const forwardDone = Date.now();
    const afterForward = await goneWithin(
      'the TCP exit or the UDP flow',
      (all) => !all.some((x) => x.kind === 'tcp-exit' || x.kind === 'udp-exit'),
      forwardDone,
    );
    assert.ok(
      afterForward.all.some((x) => x.kind === 'terminal-served') &&
        afterForward.all.some((x) => x.kind === 'chain-hop'),
      "afterForward.all.some((x) => x.kind === 'terminal-served') && afterForward.all.some((x) => x.kind === 'chain-hop')",
    );
    await until('the TCP forward client cut', () => tcpClosed.closedAt() !== undefined, 30_000);
    console.log(
      `# ended after the deny returned: listen ${afterListen.ms} ms, forward ${afterForward.ms} ms`,
    );

    // The terminal ends with its program; the hop with `relay` taken away.
    term.stdin.end();
    assert.equal(await termExit, 0);
    await ok(['peers', 'deny', 'a', 'relay', '--home', b.home]);
    await until('nothing of a served on b', async () => (await list(b.home)).length === 0, 30_000);

    // b's log: one summary for each, with bytes and duration; those a denial ended say who took what.
    const summaries = await until(
      'a summary of each in the log on b',
      async () => {
        const { events } = await agentCall(b.home, 'audit.list', {});
        const ended = kinds.map((k) =>
          events.find((e) =>
            k === 'terminal-served'
              ? e.kind === 'terminal' && e.side === 'served' && e.phase === 'end'
              : e.kind === 'connection' && e.connection === k,
          ),
        );
        return ended.every(Boolean) && (ended as AuditEvent[]);
      },
      30_000,
    );
    for (const e of summaries) {
      assert.equal(e.peer?.fingerprint, a.fingerprint, JSON.stringify(e));
      assert.ok('bytesIn' in e && 'durationMs' in e, JSON.stringify(e));
      assert.ok((e.bytesIn ?? 0) + (e.bytesOut ?? 0) > 0 && (e.durationMs ?? -1) >= 0, JSON.stringify(e));
    }
    const [reverse, udp, hop, , exit] = summaries;
    assert.match(reverse!.reason ?? '', /b does not allow listening for a/);
    assert.match(udp!.reason ?? '', /b no longer allows forwards from a/);
    assert.match(exit!.reason ?? '', /b no longer allows forwards from a/);
    assert.match(hop!.reason ?? '', /no longer relaying/);
    download.destroy();
    tcp.destroy();
    void c;
  },
);
