/**
 * `clawbridge file …` as a person meets it, with real agents on loopback and the built CLI: Ctrl-C
 * on `file send` in a real terminal stops the transfer on both sides and says so (exit 130, as scp);
 * `--json` says `done` once, also for a send that carried an earlier one on; a missing path is one
 * plain line; the list of transfers outlives an agent restart and `file clear` empties it; what a
 * stopped incoming transfer holds in staging is shown by `file usage` (also while no agent runs: it
 * reads the disk) and removed by `file cancel` (also after a restart); `file delete` deletes from the inbox as the window's Delete does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FilesUsage, TransferInfo } from '../../src-main/files/files-contract.js';
import { CLI, cli, startProcess, stopAll, tempHome } from '../helpers/processes.js';
import { addPeer, online, startNode, type MessageNode } from './message-helpers.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const BIG_MIB = 256;
let source = '';
let big = '';
let a: MessageNode;
let b: MessageNode;

async function bigFile(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < mib; i++) {
    chunk[0] = i & 0xff;
    if (!out.write(Buffer.from(chunk))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

before(async () => {
  source = tempHome('file-ux');
  big = join(source, 'big.bin');
  await bigFile(big, BIG_MIB);
  a = await startNode('a');
  b = await startNode('b');
  await addPeer(b, a, 'files');
  await addPeer(a, b, 'terminal');
  await online(a, 'b', 60_000);
});

type Line = TransferInfo & { event: string };

async function sendJson(from: MessageNode, paths: string[]) {
  const r = await cli(['file', 'send', 'b', ...paths, '--json', '--home', from.home], 300_000);
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { ...r, lines };
}

// What `file transfers --json` and `file usage --json` print, asked on the node's control connection:
// some are polled, and a CLI process each time cost ~0.4 s of CPU (the tables are asked of the CLI).
const transfers = async (node: MessageNode) => (await node.api.call('files.transfers', {})) as TransferInfo[];
const usage = async (node: MessageNode) => (await node.api.call('files.usage', {})) as FilesUsage;

/** Stops `node`'s agent cleanly; `between` runs while none runs; then it starts again on the same home. */
async function restart(node: MessageNode, between?: () => Promise<void>): Promise<MessageNode> {
  const exited = new Promise((r) => node.proc.child.once('exit', r));
  assert.equal((await cli(['stop', '--home', node.home])).code, 0);
  await exited;
  await between?.();
  return startNode(node.name, { node });
}

/** Waits until `at`'s incoming transfer holds more than `min` bytes and less than `max`. */
async function holds(at: MessageNode, min: number, max: number): Promise<TransferInfo> {
  return until(
    `${at.name} holding between ${min} and ${max} bytes`,
    async () => {
      const list = (await at.api.call('files.transfers', {})) as TransferInfo[];
      const t = list.find((x) => x.direction === 'in' && x.state === 'receiving');
      return t && t.bytesDone > min && t.bytesDone < max ? t : undefined;
    },
    { timeoutMs: 120_000, everyMs: 5 },
  );
}

/**
 * Runs the CLI with ARGS in a pseudo-terminal (python's pty): `interrupt()` types Ctrl-C there, as a
 * person does; `exit` resolves with its status and everything it wrote on the terminal.
 */
function inPty(args: string[]) {
  const script = [
    'import os, pty, select, sys',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    'deadline = 300',
    'stdin_open = True',
    'while True:',
    '    r, _, _ = select.select([fd] + ([0] if stdin_open else []), [], [], deadline)',
    '    if not r: break',
    '    if 0 in r:',
    '        line = os.read(0, 64)',
    '        if not line: stdin_open = False',
    "        elif b'INT' in line: os.write(fd, b'\\x03')",
    '    if fd in r:',
    '        try: data = os.read(fd, 65536)',
    '        except OSError: break',
    '        if not data: break',
    '        sys.stdout.buffer.write(data); sys.stdout.flush()',
    '_, status = os.waitpid(pid, 0)',
    'sys.exit(os.waitstatus_to_exitcode(status) & 0xff)',
  ].join('\n');
  const child = spawn('python3', ['-c', script, process.execPath, CLI, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, COLUMNS: '120' },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  return {
    output: () => output,
    interrupt: () => child.stdin.write('INT\n'),
    exit: new Promise<{ code: number | null; output: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, output })),
    ),
  };
}

test('a missing path: one plain line naming it, no errno text', { timeout: 60_000 }, async () => {
  const missing = join(source, 'no such.txt');
  const r = await cli(['file', 'send', 'b', missing, '--home', a.home]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `clawbridge: no such file: ${missing}\n`);
});

test(
  '--json says done exactly once, for a new send and for one that carries an earlier one on',
  { timeout: 300_000 },
  async () => {
    const small = join(source, 'small.txt');
    writeFileSync(small, 'hello\n');
    const fresh = await sendJson(a, [small]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(fresh.lines.filter((l) => l.state === 'done').length, 1, fresh.stdout);
    assert.equal(fresh.lines.at(-1)?.event, 'done');

    // Refused (b withdrew files), then sent again once allowed: the same transfer carried on.
    const note = join(source, 'note.txt');
    writeFileSync(note, 'carried on\n');
    assert.equal((await cli(['peers', 'deny', 'a', 'files', '--home', b.home])).code, 0);
    const refused = await sendJson(a, [note]).finally(() =>
      cli(['peers', 'allow', 'a', 'files', '--home', b.home]),
    );
    assert.equal(refused.code, 1);
    assert.equal(refused.lines.find((l) => l.event === 'failed')?.state, 'failed', refused.stdout);
    const again = await sendJson(a, [note]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.lines[0]?.id, refused.lines[0]?.id, 'the same transfer, carried on');
    assert.equal(again.lines.filter((l) => l.state === 'done').length, 1, again.stdout);
    assert.equal(again.lines.filter((l) => l.event === 'done').length, 1);
  },
);

test(
  'the list of transfers outlives a restart of either agent; file clear forgets the finished ones',
  { timeout: 300_000 },
  async () => {
    const kept = join(source, 'kept.txt');
    writeFileSync(kept, 'kept in the list\n');
    assert.equal((await sendJson(a, [kept])).code, 0);
    const beforeA = (await transfers(a)).filter((t) => t.state === 'done').map((t) => t.id);
    const beforeB = (await transfers(b)).filter((t) => t.state === 'done').map((t) => t.id);
    assert.ok(beforeA.length >= 1 && beforeB.length >= 1, 'done transfers on both sides');
    a = await restart(a);
    b = await restart(b);
    await online(a, 'b', 60_000);
    const afterA = await transfers(a);
    const afterB = await transfers(b);
    for (const id of beforeA) assert.equal(afterA.find((t) => t.id === id)?.state, 'done', `a lists ${id}`);
    for (const id of beforeB) assert.equal(afterB.find((t) => t.id === id)?.state, 'done', `b lists ${id}`);
    const table = await cli(['file', 'transfers', '--home', a.home]);
    assert.match(table.stdout, new RegExp(`${beforeA[0]} +out +b +done`));

    const cleared = await cli(['file', 'clear', '--home', a.home]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /^forgot \d+ finished transfers?\n$/);
    assert.deepEqual(
      (await transfers(a)).filter((t) => t.state === 'done'),
      [],
    );
    a = await restart(a);
    await online(a, 'b', 60_000);
    assert.deepEqual(
      (await transfers(a)).filter((t) => t.state === 'done'),
      [],
      'cleared stays cleared',
    );
  },
);

test(
  'Ctrl-C on file send in a terminal cancels the transfer on both sides, says so, exits 130',
  { timeout: 300_000 },
  async () => {
    const total = BIG_MIB * 1024 * 1024;
    const run = inPty(['file', 'send', 'b', big, '--home', a.home]);
    const moving = await holds(b, 1024 * 1024, total / 4);
    run.interrupt();
    const { code, output } = await run.exit;
    assert.equal(code, 130, output);
    assert.match(output, /clawbridge: cancelled: nothing more is sent to b \(transfer [0-9a-f]{32}\)/);
    assert.doesNotMatch(output, /sent 1 file/);
    const onA = (await transfers(a)).find((t) => t.id === moving.id);
    assert.equal(onA?.state, 'cancelled');
    await until(
      "b's side cancelled and its staging emptied",
      async () => {
        const t = (await transfers(b)).find((x) => x.id === moving.id);
        return t?.state === 'cancelled' && readdirSync(join(b.home, 'files', 'staging')).length === 0;
      },
      30_000,
    );
    assert.equal((await usage(b)).staging.bytes, 0);
  },
);

test(
  "a sender gone halfway: b's file usage shows the partial transfer; file cancel removes it, also after a restart",
  { timeout: 300_000 },
  async () => {
    const total = BIG_MIB * 1024 * 1024;
    const first = startProcess(['file', 'send', 'b', big, '--json', '--home', a.home]);
    const moving = await holds(b, 4 * 1024 * 1024, total / 2);
    const aExited = new Promise((r) => a.proc.child.once('exit', r));
    a.proc.child.kill('SIGKILL');
    await first.stop('SIGKILL');
    await aExited;
    const stopped = await until(
      "b's transfer to stop",
      async () => (await transfers(b)).find((t) => t.id === moving.id && t.state === 'failed'),
      30_000,
    );
    let u = await usage(b);
    const staged = u.staging.transfers.find((s) => s.id === moving.id);
    assert.ok(staged && staged.bytes >= moving.bytesDone, `staging holds ${staged?.bytes}`);
    assert.equal(staged.state, 'failed');
    assert.equal(staged.from.name, 'a');
    const shown = await cli(['file', 'usage', '--home', b.home]);
    assert.match(shown.stdout, /^staging +\S+ MiB in 1 partial transfer$/m);
    assert.match(shown.stdout, new RegExp(`${moving.id} +a +\\S+ MiB +failed`));
    assert.match(shown.stdout, /clawbridge file cancel ID/);

    // While b's agent is stopped, file usage reads the disk: the same partial transfer, named.
    b = await restart(b, async () => {
      const offline = await cli(['file', 'usage', '--home', b.home]);
      assert.equal(offline.code, 0, offline.stderr);
      assert.match(offline.stdout, /^staging +\S+ MiB in 1 partial transfer$/m);
      assert.match(offline.stdout, new RegExp(`${moving.id} +a +\\S+ MiB +failed`));
      const json = JSON.parse(
        (await cli(['file', 'usage', '--json', '--home', b.home])).stdout,
      ) as FilesUsage;
      assert.deepEqual({ ...json, freeBytes: 0 }, { ...u, freeBytes: 0 });
    });

    // After b restarts, the same: listed as it stopped, shown, and removable.
    assert.equal((await transfers(b)).find((t) => t.id === moving.id)?.state, stopped.state);
    u = await usage(b);
    assert.equal(u.staging.transfers.find((s) => s.id === moving.id)?.state, 'failed');
    const cancelled = await cli(['file', 'cancel', moving.id, '--home', b.home]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /cancelled \(cancelled by the owner; what had arrived was removed\)/);
    assert.deepEqual(readdirSync(join(b.home, 'files', 'staging')), []);
    u = await usage(b);
    assert.equal(u.staging.bytes, 0);
    assert.equal((await transfers(b)).find((t) => t.id === moving.id)?.state, 'cancelled');
  },
);

test('file delete deletes from the inbox by ID; an unknown ID is said and deletes nothing', async () => {
  const help = await cli(['file', 'delete', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: clawbridge file delete \[options\] <ids\.\.\.>/);
  assert.match(help.stdout, /delete what arrived in the file inbox/);
  const list = JSON.parse((await cli(['file', 'list', '--json', '--home', b.home])).stdout) as Array<{
    id: string;
  }>;
  assert.ok(list.length >= 2, `${list.length} entries in b's inbox`);
  const bad = await cli(['file', 'delete', list[0]!.id, 'nope', '--home', b.home]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /nothing received under nope \(clawbridge file list shows the IDs\); nothing deleted/,
  );
  const r = await cli(['file', 'delete', list[0]!.id, '--home', b.home]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'deleted 1 received entry\n');
  const left = JSON.parse((await cli(['file', 'list', '--json', '--home', b.home])).stdout) as Array<{
    id: string;
  }>;
  assert.deepEqual(
    left.map((m) => m.id),
    list.slice(1).map((m) => m.id),
  );
  assert.ok(
    !readdirSync(join(b.home, 'files', 'inbox')).includes(list[0]!.id),
    "!readdirSync(join(b.home, 'files', 'inbox')).includes(list[0]!.id)",
  );
});
