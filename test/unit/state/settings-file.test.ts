import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { DEFAULT_DIRECT_LISTEN } from '../../../src-main/state/settings.js';
import { SettingsFile as SettingsStore } from '../../../src-main/state/settings-file.js';
import { agentOverrides } from '../../../src-main/cli/agent-flags.js';
import { tempDir } from '../../helpers/temp-dir.js';
// The domains' permission words, as an agent has them before it reads its settings (core/permissions.ts).
import { agentVocabulary } from '../../helpers/agent-contract.js';

const home = () => tempDir('cb-settings-');

test('defaults, saving, and a 0600 file', { skip: process.platform === 'win32' }, () => {
  const dir = home();
  const s = new SettingsStore(dir, agentVocabulary);
  assert.equal(s.get().listen, DEFAULT_DIRECT_LISTEN);
  s.update((x) => ({ ...x, name: 'laptop' }));
  assert.equal(new SettingsStore(dir, agentVocabulary).get().name, 'laptop');
  assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o600);
});

test('settings this release does not know survive a save', () => {
  const dir = home();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'old', fromNewerRelease: { on: true } }));
  const s = new SettingsStore(dir, agentVocabulary);
  s.update((x) => ({ ...x, name: 'laptop' }));
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(saved.name, 'laptop');
  assert.deepEqual(saved.fromNewerRelease, { on: true });
  assert.equal('fromNewerRelease' in s.get(), false);
});

test('fields this release does not know inside a peer, forward, relay or ui survive a save, on the same entry', () => {
  const dir = home();
  const fp = (c: string) => c.repeat(64);
  const peer = (c: string, name: string, extra: object = {}) => ({
    fingerprint: fp(c),
    name,
    addedAt: '2026-01-01T00:00:00Z',
    ...extra,
  });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      peers: [
        peer('a', 'office', { note: 'ask Bob', fromNewer: { x: 1 } }),
        peer('b', 'nas'),
        peer('c', 'old', { note: 'gone soon' }),
      ],
      forwards: [
        {
          name: 'web',
          kind: 'tcp',
          listen: '127.0.0.1:8080',
          via: 'office',
          remote: '10.0.0.5:80',
          comment: 'intranet',
        },
      ],
      relays: [{ url: 'wss://relay.example:7474', region: 'eu' }],
      ui: { listen: '127.0.0.1:7476', theme: 'dark' },
    }),
  );
  const s = new SettingsStore(dir, agentVocabulary);
  assert.deepEqual(s.unknownKeys, [
    'peers[office].note',
    'peers[office].fromNewer',
    'peers[old].note',
    'forwards[web].comment',
    'relays[wss://relay.example:7474].region',
    'ui.theme',
  ]);
  // A change to the entry itself, one entry removed, the list reordered.
  s.update((x) => ({
    ...x,
    peers: [x.peers[1]!, { ...x.peers[0]!, allow: ['terminal'] }],
  }));
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    peers: Record<string, unknown>[];
    forwards: Record<string, unknown>[];
    relays: Record<string, unknown>[];
    ui: Record<string, unknown>;
  };
  assert.deepEqual(
    saved.peers.map((p) => [p.name, p.note, p.fromNewer, p.allow]),
    [
      // No list in the file: today's default (ADR 0046 added message to it).
      ['nas', undefined, undefined, ['terminal', 'forward', 'message']],
      ['office', 'ask Bob', { x: 1 }, ['terminal']],
    ],
  );
  assert.equal(saved.forwards[0]!.comment, 'intranet');
  assert.equal(saved.relays[0]!.region, 'eu');
  assert.equal(saved.ui.theme, 'dark');
  assert.equal('note' in s.get().peers[1]!, false, 'the agent itself does not see them');
  // The next start finds them where they were.
  assert.equal(new SettingsStore(dir, agentVocabulary).unknownKeys.length, 5);
  // An entry removed takes its extras with it: added again under the same key, it starts clean.
  s.update((x) => ({ ...x, forwards: [] }));
  s.update((x) => ({
    ...x,
    forwards: [
      {
        name: 'web',
        kind: 'tcp',
        listen: '127.0.0.1:9090',
        via: 'nas',
        remote: '10.0.0.6:80',
        enabled: true,
      },
    ],
  }));
  const again = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as typeof saved;
  assert.equal('comment' in again.forwards[0]!, false);
  assert.equal(again.peers[1]!.note, 'ask Bob', 'the others keep theirs');
});

test('a file changed while the agent runs is never saved over: the save is refused until a restart reads it', () => {
  const dir = home();
  const s = new SettingsStore(dir, agentVocabulary);
  s.update((x) => ({ ...x, name: 'laptop' }));
  const file = join(dir, 'config.json');
  const edited = { ...(JSON.parse(readFileSync(file, 'utf8')) as object), terminalResumeMs: 300_000 };
  writeFileSync(file, JSON.stringify(edited));
  assert.throws(
    () => s.update((x) => ({ ...x, notifications: false })),
    (err: Error & { hint?: { argv: string[]; where: string; at?: [number, number] } }) => {
      assert.match(
        err.message,
        /config\.json was changed since this agent read it .*restart the agent .*`clawbridge stop`.*nothing was changed/,
      );
      assert.deepEqual([err.hint?.argv, err.hint?.where], [['stop'], 'here']);
      const at = err.hint?.at;
      assert.equal(
        at && err.message.slice(...at),
        '`clawbridge stop`',
        'the hint says where the line names it',
      );
      return true;
    },
  );
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), edited, 'the edit is kept as it is');
  assert.equal(s.get().notifications, true, 'and nothing changed in the running agent either');
  // A restart reads the edit.
  assert.equal(new SettingsStore(dir, agentVocabulary).get().terminalResumeMs, 300_000);
});

test(
  'a config.json that is not a regular file (a FIFO) is refused instead of blocking the start',
  { skip: process.platform === 'win32' },
  () => {
    const dir = home();
    execFileSync('mkfifo', [join(dir, 'config.json')]);
    assert.throws(
      () => new SettingsStore(dir, agentVocabulary),
      /config\.json is not a regular file; move it away/,
    );
  },
);

test('a corrupt or invalid file is reported with its path and left untouched', () => {
  const dir = home();
  writeFileSync(join(dir, 'config.json'), '{"peers": [{"fingerprint": "xyz"}]}');
  assert.throws(
    () => new SettingsStore(dir, agentVocabulary),
    /config\.json are invalid \(peers\.0\.fingerprint: .*fix the file or move it away/,
  );
  writeFileSync(join(dir, 'config.json'), '{not json');
  assert.throws(() => new SettingsStore(dir, agentVocabulary), /cannot read settings in .*config\.json/);
  assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), '{not json');
  // A byte-order mark is invisible in the editor and in JSON.parse's message: named.
  writeFileSync(join(dir, 'config.json'), '\ufeff{}');
  assert.throws(() => new SettingsStore(dir, agentVocabulary), /starts with a byte-order mark \(BOM\)/);
  // A bad address names the file and the key, not just the value.
  writeFileSync(join(dir, 'config.json'), '{"listen": "not-an-address"}');
  assert.throws(
    () => new SettingsStore(dir, agentVocabulary),
    /config\.json are invalid \(listen: 'not-an-address' is not HOST:PORT/,
  );
  // So does a relay the relay client would refuse: a URL without a host, a token over 255 bytes.
  writeFileSync(join(dir, 'config.json'), '{"relays": [{"url": "ws://"}]}');
  assert.throws(
    () => new SettingsStore(dir, agentVocabulary),
    /config\.json are invalid \(relays\.0\.url: relay URL must be ws:\/\/HOST:PORT/,
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ relays: [{ url: 'ws://r:1', token: 't'.repeat(256) }] }),
  );
  assert.throws(
    () => new SettingsStore(dir, agentVocabulary),
    /config\.json are invalid \(relays\.0\.token: must be at most 255 bytes\)/,
  );
  // A pending request with a date that cannot be read would count as expired and vanish: named instead.
  const pending = {
    id: 'r1',
    fingerprint: 'a'.repeat(64),
    name: 'x',
    via: 'code',
    address: '127.0.0.1:1',
    firstSeen: 'yesterday',
    lastSeen: '2026-11-23T09:41:00Z',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ pending: [pending] }));
  assert.throws(
    () => new SettingsStore(dir, agentVocabulary),
    /config\.json are invalid \(pending\.0\.firstSeen: must be a date and time/,
  );
  // A top level that is not an object would read as {} and be saved over as defaults.
  for (const [text, what] of [
    ['[{"name":"mine"}]', 'an array'],
    ['null', 'null'],
    ['"x"', 'a string'],
  ]) {
    writeFileSync(join(dir, 'config.json'), text!);
    assert.throws(
      () => new SettingsStore(dir, agentVocabulary),
      new RegExp(`the file holds ${what}, not an object`),
    );
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), text);
  }
});

test('two peers or two forwards under one name, or one fingerprint twice, are refused with the place', () => {
  const dir = home();
  const peer = (name: string, fp: string) => ({
    name,
    fingerprint: fp.repeat(64),
    addedAt: '2026-01-01T00:00:00Z',
  });
  const forward = (name: string, port: number) => ({
    name,
    kind: 'tcp',
    listen: `127.0.0.1:${port}`,
    via: 'x',
    remote: '127.0.0.1:1',
  });
  const cases: [object, RegExp][] = [
    [{ peers: [peer('x', 'a'), peer('x', 'b')] }, /peers\.1: 'x' appears twice/],
    [{ peers: [peer('x', 'a'), peer('y', 'a')] }, /peers\.1: 'a{64}' appears twice/],
    [{ forwards: [forward('f', 7761), forward('f', 7762)] }, /forwards\.1: 'f' appears twice/],
  ];
  for (const [settings, message] of cases) {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(settings));
    assert.throws(() => new SettingsStore(dir, agentVocabulary), message);
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ peers: [peer('x', 'a'), peer('y', 'b')] }));
  assert.equal(new SettingsStore(dir, agentVocabulary).get().peers.length, 2);
});

test("a peer's home relay is optional in the file and checked like a saved relay", () => {
  const dir = home();
  const peer = { fingerprint: 'ab'.repeat(32), name: 'b', addedAt: '2026-11-22T00:00:00.000Z' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ peers: [peer] }));
  assert.equal(
    new SettingsStore(dir, agentVocabulary).get().peers[0]?.homeRelay,
    undefined,
    'older files load',
  );
  const homeRelay = { url: 'wss://relay.example:8443', fingerprint: 'cd'.repeat(32), token: 't' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ peers: [{ ...peer, homeRelay }] }));
  assert.deepEqual(new SettingsStore(dir, agentVocabulary).get().peers[0]?.homeRelay, homeRelay);
  for (const bad of [{ url: 'http://relay.example' }, { url: 'wss://r.example', fingerprint: 'CD' }]) {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ peers: [{ ...peer, homeRelay: bad }] }));
    assert.throws(
      () => new SettingsStore(dir, agentVocabulary),
      /config\.json are invalid \(peers\.0\.homeRelay\./,
    );
  }
});

test('agent flags become settings; absent flags keep saved ones', () => {
  const saved = new SettingsStore(home(), agentVocabulary).get();
  const pin = 'AB:'.repeat(31) + 'AB';
  const o = agentOverrides(
    { relay: ['wss://127.0.0.1:7474'], relayFingerprint: [pin], relayToken: ['t'], name: 'box' },
    saved,
  );
  assert.deepEqual(o.relays, [{ url: 'wss://127.0.0.1:7474', fingerprint: 'ab'.repeat(32), token: 't' }]);
  assert.equal(o.name, 'box');
  // One rule for node names, the window's and the API's: spaces and any script, no control characters.
  assert.equal(agentOverrides({ name: 'My Laptöp' }, saved).name, 'My Laptöp');
  assert.throws(
    () => agentOverrides({ name: 'a\u202eb' }, saved),
    /--name: a node name contains control characters/,
  );
  assert.throws(
    () => agentOverrides({ name: 'x'.repeat(65) }, saved),
    /--name: a node name must be 1 to 64 bytes/,
  );
  assert.equal(agentOverrides({ direct: false }, saved).listen, null);
  // The own relay's page: served unless turned off, saved only once a flag says so.
  assert.equal(saved.relayPage, undefined);
  assert.equal(agentOverrides({ relayPage: false }, saved).relayPage, false);
  assert.equal(agentOverrides({ relayPage: true }, saved).relayPage, true);
  assert.deepEqual(agentOverrides({}, saved), {});
  assert.throws(() => agentOverrides({ relay: ['http://x'] }, saved), /must be a ws:\/\/ or wss:\/\/ URL/);
  assert.throws(() => agentOverrides({ direct: false, listen: '1.2.3.4:5' }, saved), /contradict/);
  assert.throws(() => agentOverrides({ relayToken: ['x'] }, saved), /need a relay/);
  assert.throws(
    () => agentOverrides({ relay: ['ws://a:1'], relayFingerprint: ['abc'] }, saved),
    /: --relay-fingerprint: .*64 hex characters, got 3/,
  );
  assert.throws(
    () => agentOverrides({ relay: ['ws://a:1'], relayToken: ['t'.repeat(300)] }, saved),
    /: --relay-token: a relay access token is at most 255 bytes, got 300/,
  );
  // A bad address names its flag.
  assert.throws(
    () => agentOverrides({ listen: '127.0.0.1:99999' }, saved),
    /: --listen: '127\.0\.0\.1:99999': port/,
  );
  assert.throws(
    () => agentOverrides({ relayListen: 'garbage' }, saved),
    /: --relay-listen: 'garbage' is not HOST:PORT/,
  );
});

test('relay pins name their relay; the saved list is kept unless --relay replaces it', () => {
  const [x, y] = ['a'.repeat(64), 'b'.repeat(64)];
  const saved = {
    ...new SettingsStore(home(), agentVocabulary).get(),
    relays: [
      { url: 'wss://one:7474', fingerprint: x, token: 't1' },
      { url: 'wss://two:7474', fingerprint: y },
    ],
  };
  // The hint a changed certificate prints: re-pins that relay, keeps the other.
  assert.deepEqual(agentOverrides({ relayFingerprint: [`wss://two:7474=${x}`] }, saved).relays, [
    { url: 'wss://one:7474', fingerprint: x, token: 't1' },
    { url: 'wss://two:7474', fingerprint: x },
  ]);
  // A bare pin with two relays is refused rather than pinning both to one certificate.
  assert.throws(
    () => agentOverrides({ relayFingerprint: [y] }, saved),
    /which of the 2 relays\? write --relay-fingerprint URL=/,
  );
  assert.throws(
    () => agentOverrides({ relayFingerprint: [`wss://three:1=${y}`] }, saved),
    /is not one of this node's relays/,
  );
  assert.throws(
    () => agentOverrides({ relay: ['ws://plain:7474'], relayFingerprint: [y] }, saved),
    /ws:\/\/plain:7474 is ws:\/\/, which has no certificate to pin/,
  );
  // none drops a pin, '' a token; listing the relays again keeps what they had.
  assert.deepEqual(
    agentOverrides(
      {
        relay: ['wss://one:7474', 'wss://two:7474/'],
        relayFingerprint: ['wss://one:7474=none'],
        relayToken: ['wss://one:7474='],
      },
      saved,
    ).relays,
    [{ url: 'wss://one:7474' }, { url: 'wss://two:7474/', fingerprint: y }],
  );
});

test('relay tokens name their relay: a token given bare to two relays would reach both', () => {
  const saved = {
    ...new SettingsStore(home(), agentVocabulary).get(),
    relays: [{ url: 'wss://one:7474', token: 't1' }, { url: 'ws://two:7474' }],
  };
  // A token may hold '=' itself: the relay's URL ends at the first one.
  assert.deepEqual(agentOverrides({ relayToken: ['ws://two:7474=a=b'] }, saved).relays, [
    { url: 'wss://one:7474', token: 't1' },
    { url: 'ws://two:7474', token: 'a=b' },
  ]);
  const bare = (() => {
    try {
      agentOverrides({ relayToken: ['s3cret'] }, saved);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  })();
  assert.match(bare, /which of the 2 relays\? write --relay-token URL=TOKEN/);
  assert.ok(!bare.includes('s3cret'), 'the refusal does not print the secret');
  assert.throws(
    () => agentOverrides({ relayToken: ['wss://three:1=x'] }, saved),
    /--relay-token wss:\/\/three:1=\.\.\.: wss:\/\/three:1 is not one of this node's relays/,
  );
  // A URL with a query string: the relay it names is found whole.
  const query = { ...saved, relays: [{ url: 'ws://127.0.0.1:7474/r?x=1' }] };
  assert.deepEqual(agentOverrides({ relayToken: ['ws://127.0.0.1:7474/r?x=1=S=2'] }, query).relays, [
    { url: 'ws://127.0.0.1:7474/r?x=1', token: 'S=2' },
  ]);
  // One relay: a bare token is its token, and '' removes it.
  const one = { ...saved, relays: [{ url: 'wss://one:7474', token: 't1' }] };
  assert.deepEqual(agentOverrides({ relayToken: ['t2'] }, one).relays, [
    { url: 'wss://one:7474', token: 't2' },
  ]);
  assert.deepEqual(agentOverrides({ relayToken: [''] }, one).relays, [{ url: 'wss://one:7474' }]);
});

test('a save that cannot be written names the file and what to do, and changes nothing', () => {
  const home = tempDir('cb-settings-');
  const store = new SettingsStore(home, agentVocabulary);
  store.update((s) => ({ ...s, name: 'before' }));
  // A directory where the file goes: the write fails the way a read-only home or a full disk does.
  rmSync(join(home, 'config.json'));
  mkdirSync(join(home, 'config.json'));
  assert.throws(
    () => store.update((s) => ({ ...s, name: 'after' })),
    (err: Error & { code?: string }) =>
      err.code === 'CONFIG_INVALID' &&
      err.message.startsWith(`cannot save the settings to ${join(home, 'config.json')} (`) &&
      err.message.endsWith('and try again; nothing was changed'),
  );
  assert.equal(store.get().name, 'before');
});

test(
  'a config.json that links to nothing is refused, not read as a new node’s defaults',
  { skip: process.platform === 'win32' },
  () => {
    const home = tempDir('cb-settings-');
    const target = join(tempDir('cb-settings-elsewhere-'), 'gone', 'config.json');
    symlinkSync(target, join(home, 'config.json'));
    assert.throws(
      () => new SettingsStore(home, agentVocabulary),
      (err: Error & { code?: string }) =>
        err.code === 'CONFIG_INVALID' && err.message.includes(`is a link to ${target}, which does not exist`),
    );
    assert.equal(readlinkSync(join(home, 'config.json')), target, 'the link is left as it was');
  },
);

test('an address an older release saved from a hello without checking it is dropped when the file is read', () => {
  const dir = home();
  const hostile = '127.0.0.1:1\x1b]0;TITLE\x1b\\\x1b[2K\x1b[31mFAKE-LINE\x1b[0m';
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      peers: [
        {
          fingerprint: 'a'.repeat(64),
          name: 'c',
          addedAt: '2026-01-01T00:00:00Z',
          addresses: [hostile, { address: '127.0.0.1:7474', from: ['given'] }],
        },
      ],
      pending: [
        {
          id: 'p1',
          fingerprint: 'b'.repeat(64),
          name: 'd',
          via: 'code',
          address: '127.0.0.1:5000',
          addresses: [hostile, '127.0.0.1:7475'],
          firstSeen: '2026-01-01T00:00:00Z',
          lastSeen: '2026-01-01T00:00:00Z',
        },
      ],
    }),
  );
  const s = new SettingsStore(dir, agentVocabulary).get();
  assert.deepEqual(
    s.peers[0]!.addresses.map((a) => a.address),
    ['127.0.0.1:7474'],
  );
  assert.deepEqual(s.pending?.[0]!.addresses, ['127.0.0.1:7475']);
});

test('on upgrade, peers an older release allowed terminal are allowed message too, once (ADR 0046)', () => {
  const dir = home();
  const fp = (c: string) => c.repeat(64);
  const peer = (c: string, name: string, allow?: string[]) => ({
    fingerprint: fp(c),
    name,
    addedAt: '2026-01-01T00:00:00Z',
    ...(allow ? { allow } : {}),
  });
  // As the release before `message` wrote it: no knownPermissions.
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      peers: [
        peer('a', 'shell', ['terminal']),
        peer('b', 'fwd', ['forward', 'relay']),
        peer('c', 'none', []),
        peer('d', 'defaults'),
      ],
    }),
  );
  const allowOf = (s: SettingsStore) => Object.fromEntries(s.get().peers.map((p) => [p.name, p.allow]));
  const s = new SettingsStore(dir, agentVocabulary);
  assert.deepEqual(allowOf(s), {
    shell: ['terminal', 'message'],
    fwd: ['forward', 'relay'],
    none: [],
    defaults: ['terminal', 'forward', 'message'],
  });
  // The owner takes it away again: that choice stands on the next read.
  s.update((x) => ({
    ...x,
    peers: x.peers.map((p) => (p.name === 'shell' ? { ...p, allow: ['terminal' as const] } : p)),
  }));
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { knownPermissions: string[] };
  assert.ok(saved.knownPermissions.includes('message'), "saved.knownPermissions.includes('message')");
  assert.deepEqual(allowOf(new SettingsStore(dir, agentVocabulary)).shell, ['terminal']);
});

test('a new file knows every permission: a peer without message stays without it', () => {
  const dir = home();
  const s = new SettingsStore(dir, agentVocabulary);
  s.update((x) => ({
    ...x,
    peers: [
      {
        fingerprint: 'e'.repeat(64),
        name: 'e',
        allow: ['terminal'],
        addresses: [],
        addedAt: '2026-01-01T00:00:00Z',
      },
    ],
  }));
  assert.deepEqual(new SettingsStore(dir, agentVocabulary).get().peers[0]?.allow, ['terminal']);
});
