/**
 * `settings.get` / `settings.set` (app/api/settings.ts) over a real NodeState on disk and a fake host:
 * live changes, restart-needed changes, relays saved and forgotten in the store (the relay clients
 * follow its changes: relays-follow.test.ts), and validation errors that name the field and change
 * nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getSettings,
  restartSettings,
  setSettings,
  type SettingsDeps,
} from '../../../src-main/app/api/settings.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';
// The domains' permission words, as an agent has them before it reads its settings (core/permissions.ts).
import { paramsSchema, agentVocabulary } from '../../helpers/agent-contract.js';
import { describeZodError } from '../../../src-main/core/zod-error.js';

const FP = 'ab'.repeat(32);

function host() {
  const settings = NodeState.open(tempDir('cb-set-'), undefined, agentVocabulary);
  const calls: string[] = [];
  // What the relay clients would follow (relays.ts): the store's relay changes, and nothing else.
  settings.subscribe((c) => {
    if (c.kind !== 'relay') return;
    const r = c.after;
    calls.push(
      r ? `add ${r.url} ${r.fingerprint ?? '-'} ${r.token ? 'token' : '-'}` : `remove ${c.before!.url}`,
    );
  });
  const h: SettingsDeps = {
    get name() {
      return settings.get().name ?? 'clawbridge';
    },
    identity: { fingerprint: FP },
    state: settings,
    local: { listenAddress: '0.0.0.0:7475' },
    startedWith: restartSettings(settings.get()),
    relays: {
      clients: () =>
        settings.get().relays.map((r) => ({ url: r.url, state: 'connecting', lastError: 'not yet' })),
    },
    notices: { changed: () => calls.push('changed') },
  };
  return { h, calls, settings };
}

test('settings.get: defaults, relays without their tokens', () => {
  const { h, settings } = host();
  settings.addRelay({ url: 'wss://r.example', token: 'secret' });
  const got = getSettings(h);
  assert.deepEqual(got, {
    name: 'clawbridge',
    fingerprint: FP,
    relays: [
      { url: 'wss://r.example', fingerprint: null, hasToken: true, connected: false, error: 'not yet' },
    ],
    actAsRelay: false,
    relayListen: '0.0.0.0:7474',
    listen: '0.0.0.0:7475',
    listeningOn: '0.0.0.0:7475',
    terminalResumeMs: 60_000,
    detachedTerminalIdleMs: 24 * 60 * 60 * 1000,
    notifications: true,
    messageNotifications: true,
    allowRemoteReverseListen: false,
    portMapping: true,
    mineAllow: ['terminal', 'forward', 'message'],
  });
  assert.ok(!JSON.stringify(got).includes('secret'), "!JSON.stringify(got).includes('secret')");
});

test('settings.set: live changes apply, listener changes ask for a restart', () => {
  const { h, calls } = host();
  const live = setSettings(h, {
    name: 'desk',
    terminalResumeMs: 5_000,
    detachedTerminalIdleMs: 3_600_000,
    notifications: false,
    messageNotifications: false,
  });
  assert.equal(live.name, 'desk');
  assert.equal(live.terminalResumeMs, 5_000);
  assert.equal(live.detachedTerminalIdleMs, 3_600_000);
  assert.equal(live.notifications, false);
  assert.equal(live.messageNotifications, false, 'the message switch is its own');
  assert.equal(live.restartNeeded, false);
  assert.deepEqual(live.restartFor, []);

  const restart = setSettings(h, { listen: null, actAsRelay: true, relayListen: '127.0.0.1:9000' });
  assert.equal(restart.listen, null);
  assert.equal(restart.restartNeeded, true);
  assert.deepEqual(restart.restartFor, ['listen', 'actAsRelay', 'relayListen']);
  // Until the agent restarts, every later call still lists them (they are not in use yet).
  assert.deepEqual(setSettings(h, { name: 'desk 2' }).restartFor, ['listen', 'actAsRelay', 'relayListen']);
  assert.deepEqual(setSettings(h, { listen: null }).restartFor, ['listen', 'actAsRelay', 'relayListen']);
  // Set back to what runs: nothing waits for a restart any more.
  const back = setSettings(h, { listen: '0.0.0.0:7475', actAsRelay: false, relayListen: '0.0.0.0:7474' });
  assert.equal(back.restartNeeded, false);
  assert.deepEqual(back.restartFor, []);
  assert.equal(calls.filter((c) => c === 'changed').length, 5);
});

test('settings.set: port mapping is saved and read back, and waits for a restart', () => {
  const { h, settings } = host();
  const off = setSettings(h, { portMapping: false });
  assert.equal(off.portMapping, false);
  assert.equal(getSettings(h).portMapping, false);
  assert.equal(settings.get().portMapping, false, 'saved for config.json');
  assert.deepEqual(off.restartFor, ['portMapping']);
  assert.deepEqual(setSettings(h, { portMapping: true }).restartFor, []);
});

test('settings.set: relays are saved (fingerprint normalised) and forgotten in the store, once each', () => {
  const { h, calls } = host();
  const pin = 'CD:'.repeat(31) + 'CD';
  const added = setSettings(h, { addRelay: { url: 'wss://r.example:8443', fingerprint: pin, token: 't' } });
  assert.deepEqual(
    added.relays.map((r) => [r.url, r.fingerprint, r.hasToken]),
    [['wss://r.example:8443', 'cd'.repeat(32), true]],
  );
  // Named as it is spelled or another way: the same relay.
  const removed = setSettings(h, { removeRelay: 'wss://R.example:8443/' });
  assert.deepEqual(removed.relays, []);
  assert.deepEqual(
    calls.filter((c) => c !== 'changed'),
    [`add wss://r.example:8443 ${'cd'.repeat(32)} token`, 'remove wss://r.example:8443'],
  );
});

test('settings.set: a bad field is named and nothing changes', () => {
  const { h, settings } = host();
  const before = JSON.stringify(settings.get());
  const cases: [Parameters<typeof setSettings>[1], RegExp][] = [
    [{ name: 'ok', listen: 'nonsense' }, /^invalid parameters for settings\.set: listen: /],
    [{ relayListen: '1.2.3.4:99999' }, /^invalid parameters for settings\.set: relayListen: /],
    // The terminal's settings are its piece's (ADR 0093): the contract's params refuse them first
    // (the next test), and the store again when a caller skipped the params.
    [
      { terminalResumeMs: 10 },
      /terminalResumeMs: must be from 1000 \(1 s\) to 86400000 \(24 h\) ms, got 10; nothing was changed$/,
    ],
    [
      { detachedTerminalIdleMs: 1_000 },
      /detachedTerminalIdleMs: must be from 60000 \(1 min\) to 2592000000 \(30 days\) ms, got 1000; nothing/,
    ],
    [{ addRelay: { url: 'wss://r', fingerprint: 'abc' } }, /addRelay\.fingerprint: fingerprint must be 64/],
    [{ removeRelay: 'wss://nowhere' }, /removeRelay: this node does not use wss:\/\/nowhere$/],
    // 255 characters, but 510 bytes: over the relay protocol's limit, so it is never saved either (a
    // saved one would stop every later start).
    [
      { name: 'ok', addRelay: { url: 'wss://r.example:1', token: 'é'.repeat(255) } },
      /addRelay\.token: must be at most 255 bytes, got 510$/,
    ],
  ];
  for (const [params, message] of cases) {
    assert.throws(
      () => setSettings(h, params),
      (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && message.test(err.message),
      JSON.stringify(params),
    );
  }
  assert.equal(JSON.stringify(settings.get()), before);
});

test("settings.set's params refuse a domain's setting out of its bounds, by the piece's words", () => {
  for (const [params, message] of [
    [{ terminalResumeMs: 10 }, 'terminalResumeMs: must be from 1000 (1 s) to 86400000 (24 h) ms, got 10'],
    [{ messageNotifications: 'yes' }, 'messageNotifications: '],
  ] as const) {
    const parsed = paramsSchema('settings.set').safeParse(params);
    assert.ok(!parsed.success && describeZodError(parsed.error).includes(message), JSON.stringify(params));
  }
  assert.ok(
    paramsSchema('settings.set').safeParse({ terminalResumeMs: 1_000, messageNotifications: false }).success,
    'within bounds, they pass',
  );
});

test('settings.set: a relay already here under another spelling is refused, naming the one saved', () => {
  const { h } = host();
  setSettings(h, { addRelay: { url: 'wss://r.example:8443' } });
  for (const same of ['wss://r.example:8443/', 'wss://R.EXAMPLE:8443', ' wss://r.example:8443']) {
    assert.throws(
      () => setSettings(h, { addRelay: { url: same } }),
      (err: unknown) =>
        isClawError(err, 'BAD_ARGUMENT') &&
        /wss:\/\/r\.example:8443 is already one of this node's relays/.test(err.message),
    );
  }
  setSettings(h, { addRelay: { url: 'wss://r.example:8444' } });
  assert.equal(getSettings(h).relays.length, 2);
});
