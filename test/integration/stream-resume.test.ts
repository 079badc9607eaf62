/**
 * A download through a TCP forward survives the direct path dying halfway (issue 28, must-be-true 1;
 * ADR 0023): peer b is reachable directly only through a TCP port forward this test starts in b's
 * network namespace; SIGSTOP freezes it mid-download, so the path drops packets instead of closing (as
 * a NAT that forgot the mapping does). The forward's stream moves to the relay link that was up beside
 * direct and the download completes byte-exact (sha256). A terminal on the same peer keeps echoing,
 * its first echo after the cut within 5 s.
 *
 * The bytes are an AES-CTR keystream (fast to make on both ends, never repeating, so a lost, doubled
 * or reordered block changes the hash). The client reads at a fixed rate so the cut lands mid-transfer.
 * Size: RESUME_TEST_MIB (default 200, the figure).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createNetnsPair, netnsUnavailable, startPortForward, type NetnsPair } from '../helpers/netns.js';
import { CLI, cli, cliJson, peerOf, startProcess, stopAll, tempHome, waitFor } from '../helpers/processes.js';

const MIB = 1024 * 1024;
const SIZE = Number(process.env.RESUME_TEST_MIB ?? 200) * MIB;
/** Client read rate: the whole download takes ~10 s, so the cut at half is well inside it. */
const READ_RATE = SIZE / 10;
const FIRST_ECHO_DEADLINE_MS = 5_000;
const KEY = '000102030405060708090a0b0c0d0e0f';
const IV = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff';

const children: ChildProcess[] = [];
let pair: NetnsPair | undefined;
after(async () => {
  for (const c of children) {
    c.kill('SIGCONT');
    c.kill('SIGTERM');
  }
  await stopAll();
  pair?.destroy();
});

/** Runs `script` with node inside a namespace; resolves once it printed its first line. */
function nodeIn(prefix: string[], script: string): { child: ChildProcess; lines: string[] } {
  const [cmd, ...args] = [...prefix, process.execPath, '-e', script];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    pending += c;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines };
}

/** sha256 of the first `size` bytes of the keystream the server sends. */
function expectedHash(size: number): string {
  const cipher = createCipheriv('aes-128-ctr', Buffer.from(KEY, 'hex'), Buffer.from(IV, 'hex'));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(MIB);
  for (let left = size; left > 0; left -= MIB)
    hash.update(cipher.update(zeros.subarray(0, Math.min(MIB, left))));
  return hash.digest('hex');
}

const serverScript = (port: number) => `
const net = require('net'), crypto = require('crypto');
net.createServer((s) => {
  const c = crypto.createCipheriv('aes-128-ctr', Buffer.from('${KEY}', 'hex'), Buffer.from('${IV}', 'hex'));
  const zeros = Buffer.alloc(256 * 1024);
  let left = ${SIZE};
  s.on('error', () => undefined);
  const pump = () => {
    while (left > 0) {
      const n = Math.min(zeros.length, left);
      left -= n;
      if (!s.write(c.update(zeros.subarray(0, n)))) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
}).listen(${port}, '127.0.0.1', () => console.log('up'));`;

const clientScript = (port: number) => `
const net = require('net'), crypto = require('crypto');
const h = crypto.createHash('sha256');
let got = 0, reported = 0;
const start = Date.now();
const s = net.connect(${port}, '127.0.0.1');
s.on('data', (b) => {
  h.update(b);
  got += b.length;
  if (got - reported >= ${4 * MIB}) { reported = got; console.log('progress ' + got); }
  const ahead = got / ${READ_RATE} * 1000 - (Date.now() - start);
  if (ahead > 5) { s.pause(); setTimeout(() => s.resume(), ahead); }
});
s.on('end', () => console.log('done ' + got + ' ' + h.digest('hex')));
s.on('error', (e) => console.log('error ' + got + ' ' + e.message));
s.on('close', () => setTimeout(() => process.exit(0), 50));`;

test(
  'a download through a TCP forward survives a blackholed direct path, byte-exact over the relay',
  { timeout: 240_000 },
  async (t) => {
    const why = netnsUnavailable();
    if (why) return t.skip(why);
    pair = createNetnsPair();
    const inA = pair.exec(pair.a);
    const inB = pair.exec(pair.b);
    const relay = startProcess(
      ['relay', '--listen', `${pair.addrA}:0`, '--no-tls', '--home', tempHome('sr-relay')],
      {},
      inA,
    );
    const relayUrl = (await relay.waitForLine(/^relay listening on (ws:\/\/\S+)$/m))[1]!;
    const homeA = tempHome('sr-a');
    const homeB = tempHome('sr-b');
    const directPort = 7623;
    const serverPort = 7624;
    const forwardPort = 7625;
    const agent = (prefix: string[], home: string, name: string, listen: string) =>
      startProcess(
        ['agent', '--home', home, '--name', name, '--relay', relayUrl, '--listen', listen],
        { CLAWBRIDGE_LOG: 'info' },
        prefix,
      );
    const a = agent(inA, homeA, 'a', '127.0.0.1:7621');
    const b = agent(inB, homeB, 'b', '127.0.0.1:7622');
    await a.waitForLine(/agent a running/);
    await b.waitForLine(/agent b running/);
    const freezer = await startPortForward(
      inB,
      { host: pair.addrB, port: directPort },
      { host: '127.0.0.1', port: 7622 },
    );
    children.push(freezer);
    const server = nodeIn(inB, serverScript(serverPort));
    await waitFor('the file server', () => server.lines.includes('up'), 10_000);
    const fa = (await cliJson<{ fingerprint: string }>(['id', '--home', homeA])).fingerprint;
    const fb = (await cliJson<{ fingerprint: string }>(['id', '--home', homeB])).fingerprint;
    for (const r of [
      await cli([
        'peers',
        'add',
        fb,
        '--name',
        'b',
        '--address',
        `${pair.addrB}:${directPort}`,
        '--home',
        homeA,
      ]),
      await cli(['peers', 'add', fa, '--name', 'a', '--home', homeB]),
    ]) {
      assert.equal(r.code, 0, r.stderr);
    }
    await waitFor('a→b direct', async () => (await peerOf(homeA, 'b'))?.path === 'direct', 40_000);
    await waitFor(
      'a relay link to b beside direct',
      () => /"peer":"b","path":"relay"[^\n]*"msg":"link up"/.test(a.stderr()),
      40_000,
    );
    const added = await cli([
      'forward',
      'add',
      '--local',
      String(forwardPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${serverPort}`,
      '--name',
      'f',
      '--home',
      homeA,
    ]);
    assert.equal(added.code, 0, added.stderr);

    // A terminal on the same peer, typing a token every 100 ms (as dead-path-fallback.test.ts).
    const term = spawn(process.execPath, [CLI, 'term', 'b', '--home', homeA, '-t', '--', 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(term);
    const echoedAt = new Map<number, number>();
    let pendingOut = '';
    term.stdout.setEncoding('utf8').on('data', (c: string) => {
      pendingOut += c;
      const lines = pendingOut.split('\n');
      pendingOut = lines.pop()!;
      for (const line of lines) {
        const n = Number(/^tok-(\d+)\r?$/.exec(line)?.[1]);
        if (Number.isInteger(n) && !echoedAt.has(n)) echoedAt.set(n, performance.now());
      }
    });
    let next = 0;
    const typing = setInterval(() => term.stdin.write(`tok-${next++}\n`), 100);

    const want = expectedHash(SIZE);
    try {
      await waitFor('echoes over direct', () => echoedAt.size >= 3, 20_000);
      const client = nodeIn(inA, clientScript(forwardPort));
      const progress = () =>
        Number(
          /^progress (\d+)$/.exec(client.lines.filter((l) => l.startsWith('progress')).at(-1) ?? '')?.[1] ??
            0,
        );
      await waitFor(
        'half of the download',
        () => progress() >= SIZE / 2 || client.lines.some((l) => /^(done|error)/.test(l)),
        60_000,
      );
      assert.equal((await peerOf(homeA, 'b'))?.path, 'direct', 'the download ran on the direct path');
      assert.ok(progress() < SIZE, 'the cut lands before the download finished');
      const cut = performance.now();
      const firstAfterCut = next;
      process.kill(freezer.pid!, 'SIGSTOP');
      console.log(`cut at ${Math.round(progress() / MIB)} MiB of ${SIZE / MIB}`);

      const echoed = await waitFor(
        'a keystroke typed after the cut to echo',
        () => {
          const later = [...echoedAt.keys()].filter((n) => n >= firstAfterCut);
          return later.length > 0 ? Math.min(...later.map((n) => echoedAt.get(n)!)) : undefined;
        },
        30_000,
      );
      console.log(`first echo after the cut: ${Math.round(echoed - cut)} ms`);
      const end = await waitFor(
        'the download to end',
        () => client.lines.find((l) => /^(done|error)/.test(l)),
        120_000,
      );
      console.log(`download ended ${Math.round(performance.now() - cut)} ms after the cut: ${end}`);
      assert.equal(end, `done ${SIZE} ${want}`, 'the whole file arrived, byte-exact');
      assert.equal((await peerOf(homeA, 'b'))?.path, 'relay', 'it finished over the relay');
      assert.ok(echoed - cut <= FIRST_ECHO_DEADLINE_MS, `first echo ${echoed - cut} ms after the cut`);
    } catch (err) {
      const tail = (p: { stderr(): string }) =>
        p
          .stderr()
          .split('\n')
          .filter((l) => /link|resum|stream|forward|tcp-connect/i.test(l))
          .slice(-25)
          .join('\n');
      throw new Error(`${(err as Error).message}\n--- a ---\n${tail(a)}\n--- b ---\n${tail(b)}`);
    } finally {
      clearInterval(typing);
      term.kill('SIGKILL');
    }
  },
);
