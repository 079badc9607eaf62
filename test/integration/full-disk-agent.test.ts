/**
 * A full disk fails writes, never the agent (issue 82, item 4), with real agents on loopback: f's home
 * on a small tmpfs that is then filled. Pairing (an approval, an introduction of a device), a group
 * change (made on f, and one from a that reaches it), a message and a file each fail with the disk
 * named, while a shell echoes, a forward carries bytes and `status` answers, and f lives on (a
 * read-only home, which a running agent's open files keep from being remounted so, is the unit tests'
 * in test/unit/core/file-errors.test.ts). Before, a durable write that threw inside a served exchange was a promise left
 * to reject: Node ended f, and every shell and forward it served with it; a session host started on
 * the full disk slept forever in its logger, and new shells waited on it. Needs root (mount).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllow } from '../../src-main/cli/permissions.js';
import { agentCall, cli, startAgent, stopAll, tempHome, type AgentProc } from '../helpers/processes.js';
import { online } from '../helpers/loopback-nodes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const mounts: string[] = [];
const servers: Server[] = [];
after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

const root = process.getuid?.() === 0;

/** Writes zeroes to `path` until the file system says ENOSPC (bounded: the tmpfs is 16 MiB). */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (let i = 0; i < 10_000; i++) writeSync(fd, block);
    assert.fail('the disk never filled');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/** An echo server on loopback: what a forward through f reaches. */
async function echoServer(): Promise<number> {
  const server = createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

/** Bytes sent into the forward on 127.0.0.1:`port` come back from the echo server behind f. */
async function forwardEchoes(port: number, text: string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  try {
    let got = '';
    socket.setEncoding('utf8').on('data', (c: string) => (got += c));
    socket.write(text);
    await until(`"${text}" back through the forward`, () => got === text, 30_000);
  } finally {
    socket.destroy();
  }
}

/** What must keep working whatever the disk says: a new shell, a forward, `status`, the process. */
async function stillServes(f: AgentProc, homeA: string, homeF: string, forwardPort: number, tag: string) {
  const term = await cli(['term', 'f', '--home', homeA, '--', 'echo', `shell-${tag}`]);
  assert.equal(term.code, 0, `a shell on f (${tag}): ${term.stderr}`);
  assert.match(term.stdout, new RegExp(`shell-${tag}`), 'the shell echoes');
  await forwardEchoes(forwardPort, `bytes-${tag}`);
  const status = await cli(['status', '--home', homeF]);
  assert.equal(status.code, 0, `status on f (${tag}): ${status.stderr}`);
  assert.equal(f.child.exitCode, null, `f ended (${tag}): ${f.stderr().slice(-2000)}`);
}

/** `clawbridge ARGS` fails, and says that the disk holding f's home (`home`) is `what`. */
async function failsNamingDisk(args: string[], home: string, what: RegExp, why: string): Promise<void> {
  const r = await cli(args);
  assert.notEqual(r.code, 0, `${why}: it should fail, said ${r.stdout}`);
  assert.match(r.stderr, new RegExp(`the disk holding ${home}\\S* is ${what.source}`), why);
}

const FULL = /full: free space and try again/;

test(
  'with its home on a full disk, f refuses each write naming the disk and keeps serving shells, forwards and status',
  { timeout: 300_000, skip: root ? false : 'needs root to mount a tmpfs' },
  async () => {
    const disk = mkdtempSync(join(tmpdir(), 'cb-full-fs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', disk]);
    mounts.push(disk);
    const homeF = join(disk, 'home-f');
    mkdirSync(homeF, { mode: 0o700 });
    const [homeA, homeC] = [tempHome('full-a'), tempHome('full-c')];
    const [f, a, c] = await Promise.all([
      startAgent(homeF, { name: 'f', listen: '127.0.0.1:0', ui: false }),
      startAgent(homeA, { name: 'a', listen: '127.0.0.1:0', ui: false }),
      startAgent(homeC, { name: 'c', listen: '127.0.0.1:0', ui: false }),
    ]);
    // a and f are one owner's devices (introductions, groups), and a may use f for everything.
    await agentCall(homeF, 'peers.add', {
      fingerprint: a.fingerprint,
      name: 'a',
      mine: true,
      allow: parseAllow('terminal,forward,message,files'),
    });
    await agentCall(homeA, 'peers.add', {
      fingerprint: f.fingerprint,
      name: 'f',
      address: f.listen!,
      mine: true,
      allow: parseAllow('terminal,forward,message,files'),
    });
    await online({ name: 'a', home: homeA }, 'f');
    const forwardPort = await freePort();
    const added = await cli([
      'forward',
      'add',
      '--local',
      String(forwardPort),
      '--via',
      'f',
      '--remote',
      `127.0.0.1:${await echoServer()}`,
      '--home',
      homeA,
    ]);
    assert.equal(added.code, 0, `forward add: ${added.stderr}`);
    await forwardEchoes(forwardPort, 'bytes-before');

    fill(join(disk, 'filler'));

    // Pairing: a request by fingerprint is approved (config.json), a peer added; a device of the
    // owner's introduced on a reaches f by a's exchange (the member log), which f cannot keep.
    await agentCall(homeC, 'peers.add', { fingerprint: f.fingerprint, name: 'f', address: f.listen! });
    const request = await until(
      "c's request on f",
      async () => (await agentCall(homeF, 'pending.list', {})).find((p) => p.fingerprint === c.fingerprint),
      30_000,
    );
    await failsNamingDisk(
      ['approve', request.id, '--fingerprint', c.fingerprint, '--home', homeF],
      homeF,
      FULL,
      'an approval',
    );
    await failsNamingDisk(
      ['peers', 'add', c.fingerprint, '--name', 'c', '--home', homeF],
      homeF,
      FULL,
      'peers add',
    );
    await agentCall(homeA, 'peers.add', { fingerprint: c.fingerprint, name: 'c', mine: true });
    await until(
      'f says it could not keep what a introduced',
      () =>
        /introductions (from|with) a .*the disk holding .* is full/.test(f.stderr()) ||
        f.child.exitCode !== null,
      30_000,
    );
    await stillServes(f, homeA, homeF, forwardPort, 'introduced');

    // A group change: made on f, and one of a's that reaches f through their exchange.
    await failsNamingDisk(['group', 'create', 'on-f', '--home', homeF], homeF, FULL, 'a group made on f');
    assert.equal((await cli(['group', 'create', 'lab', '--home', homeA])).code, 0, 'a makes a group');
    assert.equal((await cli(['group', 'add', 'lab', 'f', '--home', homeA])).code, 0, 'a adds f to it');
    await until(
      'f says it could not keep the group',
      () =>
        /group (records from|exchange with) a .*the disk holding .* is full/.test(f.stderr()) ||
        f.child.exitCode !== null,
      30_000,
    );
    await stillServes(f, homeA, homeF, forwardPort, 'group');

    // A message (larger than any slack left at the end of a log's last page) and a file.
    await failsNamingDisk(
      ['msg', 'send', 'a', 'm'.repeat(60_000), '--home', homeF],
      homeF,
      FULL,
      'a message',
    );
    const source = join(tempHome('full-src'), 'note.txt');
    writeFileSync(source, 'a file for a');
    await failsNamingDisk(['file', 'send', 'a', source, '--home', homeF], homeF, FULL, 'a file');
    await stillServes(f, homeA, homeF, forwardPort, 'full');
  },
);
