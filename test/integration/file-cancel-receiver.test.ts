/**
 * A cancel on the receiving side is final, with real agents on loopback through the CLI: `file cancel`
 * on b while a's `file send` runs ends that send (it says b cancelled) and leaves nothing in b's inbox
 * or staging; and a cancel made while the sender was away holds across a restart of both agents: the
 * sender, carrying its saved transfer on, is told and stops, and nothing arrives.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferInfo } from '../../src-main/files/files-contract.js';
import { cli, startProcess, stopAll } from '../helpers/processes.js';
import { addPeer, online, startNode, type MessageNode } from './message-helpers.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Sparse: big enough to be cancelled halfway on loopback, costing no disk on the sending side. */
const BIG = 2 * 1024 ** 3;
let source = '';

before(() => {
  source = mkdtempSync(join(tmpdir(), 'cb-file-cancel-'));
  for (const name of ['one.bin', 'two.bin']) {
    writeFileSync(join(source, name), name);
    truncateSync(join(source, name), BIG);
  }
});

async function pair(a: MessageNode, b: MessageNode): Promise<void> {
  await addPeer(b, a, 'files');
  await addPeer(a, b, 'terminal');
  await online(a, 'b', 60_000);
}

/** b's incoming transfer once it holds some bytes and not all. */
async function arriving(b: MessageNode): Promise<TransferInfo> {
  return until(
    'b holding part of the transfer',
    async () => {
      const list = (await b.api.call('files.transfers', {})) as TransferInfo[];
      const t = list.find((x) => x.direction === 'in' && x.state === 'receiving');
      return t && t.bytesDone > 0 && t.bytesDone < t.bytes ? t : undefined;
    },
    { timeoutMs: 120_000, everyMs: 5 },
  );
}

const files = (b: MessageNode, d: string) => readdirSync(join(b.home, 'files', d));

test(
  'file cancel on the receiver ends the send there and then; nothing lands in its inbox',
  { timeout: 300_000 },
  async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await pair(a, b);
    const run = startProcess(['file', 'send', 'b', join(source, 'one.bin'), '--home', a.home]);
    const t = await arriving(b);
    const c = await cli(['file', 'cancel', t.id, '--home', b.home]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /cancelled/);
    const code = await new Promise<number | null>((r) =>
      run.child.exitCode !== null ? r(run.child.exitCode) : run.child.once('exit', r),
    );
    assert.equal(code, 1, `file send: ${run.stdout()} ${run.stderr()}`);
    // One line, said once, naming who cancelled: no "waiting" for a stream the cancel closed.
    assert.doesNotMatch(run.stderr(), /waiting|reachable again/, run.stderr());
    assert.match(run.stderr(), /^clawbridge: not sent: b's owner cancelled the transfer$/m);
    assert.equal(run.stderr().match(/cancel/g)?.length, 1, run.stderr());
    const sent = ((await a.api.call('files.transfers', {})) as TransferInfo[]).find((x) => x.id === t.id);
    assert.equal(sent?.state, 'cancelled');
    assert.deepEqual(files(b, 'inbox'), [], "b's inbox");
    await until('b’s staging to be emptied', () => files(b, 'staging').length === 0, 30_000);
    assert.deepEqual(JSON.parse((await cli(['file', 'list', '--json', '--home', b.home])).stdout), []);
  },
);

test(
  'a cancel made while the sender was away holds across restarts: the sender is told and stops',
  { timeout: 300_000 },
  async () => {
    const a = await startNode('a');
    let b = await startNode('b');
    await pair(a, b);
    const run = startProcess(['file', 'send', 'b', join(source, 'two.bin'), '--home', a.home]);
    const t = await arriving(b);
    // The sender goes away halfway; its transfer is saved to carry on.
    const aExited = new Promise((r) => a.proc.child.once('exit', r));
    a.proc.child.kill('SIGKILL');
    await run.stop('SIGKILL');
    await aExited;
    await until(
      'b to see the stream gone',
      async () =>
        ((await b.api.call('files.transfers', {})) as TransferInfo[]).find((x) => x.id === t.id)?.state !==
        'receiving',
      30_000,
    );
    const c = await cli(['file', 'cancel', t.id, '--home', b.home]);
    assert.equal(c.code, 0, c.stderr);
    // b restarts (the cancel is on disk), then a comes back and carries its transfer on.
    b.proc.child.kill('SIGKILL');
    await new Promise((r) => b.proc.child.once('exit', r));
    b = await startNode('b', { node: b });
    const back = await startNode('a', { node: a });
    const told = await until(
      'a to hear that b cancelled',
      async () => {
        const x = ((await back.api.call('files.transfers', {})) as TransferInfo[]).find((y) => y.id === t.id);
        return x?.state === 'cancelled' ? x : undefined;
      },
      60_000,
    );
    assert.equal(told.why, "b's owner cancelled the transfer");
    assert.deepEqual(files(back, 'outgoing'), [], 'nothing saved to carry on');
    assert.deepEqual(files(b, 'inbox'), [], "b's inbox");
    assert.deepEqual(files(b, 'staging'), [], "b's staging");
  },
);
