import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { checkMessage, checkSender, handleValidated } from '../../../src-main/electron/ipc-validate.js';
import { isClawError } from '../../../src-main/core/errors.js';

const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';
const top = (url: string) => ({ url, parent: null });

test('checkSender accepts the top frame of the app page, with or without hash and query', () => {
  assert.deepEqual(checkSender(top(PAGE), PAGE), { ok: true });
  assert.deepEqual(checkSender(top(`${PAGE}#/peers?x=1`), PAGE), { ok: true });
});

test('checkSender rejects other pages, subframes and vanished frames with a reason', () => {
  const cases: [Parameters<typeof checkSender>[0], RegExp][] = [
    [null, /sender frame is gone/],
    [{ url: PAGE, parent: {} }, /subframe/],
    [top('https://evil.example/index.html'), /'https:\/\/evil\.example\/index\.html' is not the app's page/],
    [top('file:///tmp/index.html'), /is not the app's page/],
    [top('file:///opt/Clawbridge/resources/app.asar/dist/renderer/other.html'), /is not the app's page/],
    [top('not a url'), /is not a URL/],
  ];
  for (const [frame, reason] of cases) {
    const verdict = checkSender(frame, PAGE);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, reason);
  }
});

const peerArgs = z.tuple([z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-hex fingerprint')]);

test('checkMessage accepts arguments that match the schema', () => {
  assert.deepEqual(checkMessage('clawbridge:peer', ['ab'.repeat(32)], peerArgs), { ok: true });
  assert.deepEqual(checkMessage('clawbridge:status', [], z.tuple([])), { ok: true });
});

test('checkMessage names the bad argument, extra arguments and foreign channels', () => {
  const reason = (channel: string, args: unknown[], schema: z.ZodType) => {
    const v = checkMessage(channel, args, schema);
    return v.ok ? 'accepted' : v.reason;
  };
  assert.equal(
    reason('clawbridge:peer', ['xyz'], peerArgs),
    'bad arguments on clawbridge:peer: argument 0: must be a 64-hex fingerprint',
  );
  assert.match(reason('clawbridge:peer', [42], peerArgs), /argument 0: .*expected string/i);
  assert.match(reason('clawbridge:status', ['extra'], z.tuple([])), /^bad arguments on clawbridge:status: /);
  assert.equal(reason('other:status', [], z.tuple([])), "channel 'other:status' is outside 'clawbridge:'");
});

test('handleValidated runs the handler only for a trusted sender with valid arguments', async () => {
  let registered: ((event: unknown, ...args: unknown[]) => Promise<unknown>) | undefined;
  const ipcMain = { handle: (_channel: string, fn: typeof registered) => void (registered = fn) };
  handleValidated(ipcMain as never, 'clawbridge:peer', peerArgs, PAGE, (fp) => Promise.resolve(`peer ${fp}`));
  const call = (frame: unknown, ...args: unknown[]) => registered!({ senderFrame: frame }, ...args);

  assert.equal(await call(top(PAGE), 'cd'.repeat(32)), `peer ${'cd'.repeat(32)}`);
  await assert.rejects(
    call(top('https://evil.example/'), 'cd'.repeat(32)),
    (err) => isClawError(err, 'IPC_REJECTED') && /not the app's page/.test(err.message),
  );
  await assert.rejects(
    call(top(PAGE), 'nope'),
    (err) => isClawError(err, 'IPC_REJECTED') && /argument 0: must be a 64-hex fingerprint/.test(err.message),
  );
});
