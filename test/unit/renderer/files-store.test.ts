/**
 * The window's files and shares stores (src-renderer/features/files/files-store.ts, shares-store.ts)
 * against a fake agent, and the Files view's words (features/files/files-text.ts): transfers, inbox
 * and shares read on connecting;
 * `file.transfer` and `file.received` keep them live without a request; a finished transfer does not
 * move back on a late event; an older agent is `unsupported`; a refusal without `files` says where to
 * grant it; typed paths must be absolute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReceivedInfo, TransferInfo } from '../../../src-main/files/files-contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { FilesStore, HELD_FINISHED, withTransfer } from '../../../src-renderer/features/files/files-store.js';
import { SharesStore } from '../../../src-renderer/features/files/shares-store.js';
import { ApiError } from '../../../src-renderer/api/transport.js';
import {
  grantText,
  namesText,
  parsePaths,
  pathsProblem,
  percent,
  progressText,
  stateText,
} from '../../../src-renderer/features/files/files-text.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();
const tid = (n: number) => n.toString(16).padStart(32, '0');

function transfer(n: number, patch: Partial<TransferInfo> = {}): TransferInfo {
  return {
    id: tid(n),
    direction: 'out',
    peer: { name: 'b', fingerprint: 'b'.repeat(64) },
    state: 'sending',
    files: 3,
    bytes: 3000,
    filesDone: 1,
    bytesDone: 1500,
    rate: 1024,
    names: ['photos'],
    startedAt: at(n),
    ...patch,
  };
}

const received = (id: string): ReceivedInfo => ({
  id,
  from: { name: 'a', fingerprint: 'a'.repeat(64) },
  receivedAt: at(1),
  files: 1,
  bytes: 5,
  names: ['note.txt'],
  treeHash: 'f'.repeat(64),
  renamed: [],
});

const tick = () => new Promise((r) => setImmediate(r));

function fake() {
  const transport = new FakeTransport({ kind: 'disconnected' } as never);
  transport
    .on('files.transfers', () => [transfer(1)])
    .on('files.list', () => [received('r1')])
    .on('share.list', () => []);
  const store = new FilesStore(new ApiClient(transport));
  return { transport, store };
}

test('read on connecting, then kept live by file.transfer and file.received without a request', async () => {
  const { transport, store } = fake();
  transport.setState({ kind: 'connected' });
  await tick();
  await tick();
  assert.equal(store.get().phase, 'ready');
  assert.deepEqual(
    store.get().transfers.map((t) => t.id),
    [tid(1)],
  );
  assert.deepEqual(
    store.get().received.map((r) => r.id),
    ['r1'],
  );
  const asked = transport.calls.length;
  transport.emit('file.transfer', transfer(1, { bytesDone: 3000, filesDone: 3, state: 'done' }));
  transport.emit('file.transfer', transfer(2));
  transport.emit('file.received', received('r2'));
  assert.equal(transport.calls.length, asked);
  assert.deepEqual(
    store.get().transfers.map((t) => [t.id, t.state]),
    [
      [tid(2), 'sending'],
      [tid(1), 'done'],
    ],
  );
  assert.deepEqual(
    store.get().received.map((r) => r.id),
    ['r1', 'r2'],
  );
  // A late progress event does not move a finished transfer back.
  transport.emit('file.transfer', transfer(1, { state: 'sending' }));
  assert.equal(store.get().transfers.find((t) => t.id === tid(1))?.state, 'done');
  // Not a transfer: ignored.
  transport.emit('file.transfer', { id: 3 });
  assert.equal(store.get().transfers.length, 2);
});

test('finished transfers are held up to HELD_FINISHED; moving ones always', () => {
  let list: TransferInfo[] = [];
  for (let i = 1; i <= HELD_FINISHED + 10; i++) list = withTransfer(list, transfer(i, { state: 'done' }));
  list = withTransfer(list, transfer(999, { startedAt: at(0) }));
  assert.equal(list.filter((t) => t.state === 'done').length, HELD_FINISHED);
  assert.ok(
    list.some((t) => t.id === tid(999)),
    'list.some((t) => t.id === tid(999))',
  );
});

test('an older agent without the files methods is unsupported, not an error; a failed read says why', async () => {
  const transport = new FakeTransport();
  transport.on('files.transfers', () => {
    throw new ApiError('BAD_ARGUMENT', "unknown method 'files.transfers'");
  });
  transport.on('files.list', () => []);
  transport.on('share.list', () => {
    throw new ApiError('BAD_ARGUMENT', "unknown method 'share.list'");
  });
  const store = new FilesStore(new ApiClient(transport));
  const shares = new SharesStore(new ApiClient(transport));
  await tick();
  await tick();
  assert.equal(store.get().phase, 'unsupported');
  assert.equal(shares.get().phase, 'unsupported');
  assert.equal(shares.get().error, null, 'an agent without shares shows no error');
  transport.on('files.transfers', () => {
    throw new ApiError('SERVICE_FAILED', 'the file inbox is not open yet; try again');
  });
  await store.refresh();
  assert.equal(store.get().phase, 'error');
  assert.match(store.get().error ?? '', /the file inbox is not open yet/);
});

test('sending, moving out and stopping a share go to the agent and show at once', async () => {
  const { transport, store } = fake();
  transport.setState({ kind: 'connected' });
  await tick();
  transport.on('files.send', (p) => ({ ...transfer(7, { state: 'preparing' }), skipped: [], p }));
  await store.send('b'.repeat(64), ['/home/me/photos']);
  assert.deepEqual(transport.calls.at(-1), {
    method: 'files.send',
    params: { peer: 'b'.repeat(64), paths: ['/home/me/photos'] },
  });
  assert.equal(store.get().transfers[0]?.id, tid(7));
  transport.on('files.get', () => ({
    moved: [{ id: 'r1', name: 'note.txt', to: '/d/note.txt' }],
    skipped: [],
  }));
  transport.on('files.list', () => []);
  await store.moveOut('/d', ['r1']);
  assert.deepEqual(store.get().received, []);
  const shares = new SharesStore(new ApiClient(transport));
  transport.on('share.list', () => []);
  transport.on('share.remove', (p) => p);
  await shares.stop('public');
  assert.ok(
    transport.calls.some((c) => c.method === 'share.remove'),
    "transport.calls.some((c) => c.method === 'share.remove')",
  );
});

test("the view's words: progress, names, a refusal without files, typed paths", () => {
  assert.equal(percent(transfer(1)), 50);
  assert.equal(percent(transfer(1, { bytes: 0, bytesDone: 0, state: 'done' })), 100);
  assert.equal(progressText(transfer(1)), '1.5 KiB of 2.9 KiB · 1 of 3 files · 1.0 KiB/s · about 2 s left');
  assert.equal(namesText(['a', 'b', 'c']), 'a and 2 more');
  const refused = transfer(1, {
    state: 'failed',
    why: 'permission denied: b does not allow files from a (its owner can run `clawbridge peers allow a files` there)',
  });
  assert.equal(
    grantText(refused, 'a'),
    'On b, open Peers → Permissions of a and allow “Send files here”, or run clawbridge peers allow a files there.',
  );
  assert.equal(grantText(transfer(1, { state: 'failed', why: 'b is offline' }), 'a'), null);
  assert.deepEqual(parsePaths(' /a \n\n/b c\n'), ['/a', '/b c']);
  assert.equal(pathsProblem([]), 'Name at least one file or folder.');
  assert.match(pathsProblem(['/ok', 'rel/x']) ?? '', /“rel\/x” is not a full path/);
  assert.equal(pathsProblem(['/ok', 'C:\\Users\\me']), null);
});

test('a state and its reason: a reason that already names the state is not said twice', () => {
  assert.equal(
    stateText(transfer(1, { state: 'cancelled', why: 'cancelled by the owner' })),
    'cancelled by the owner',
  );
  assert.equal(
    stateText(transfer(2, { state: 'cancelled', why: 'b cancelled the transfer' })),
    'cancelled: b cancelled the transfer',
  );
  assert.equal(stateText(transfer(3, { state: 'failed', why: 'b is gone' })), 'failed: b is gone');
  assert.equal(stateText(transfer(4, { state: 'done', why: 'ignored' })), 'done, every file verified');
});
