/**
 * state/pending-file.ts (ADR 0080): pending requests live in pending.json, apart from config.json — a
 * knock never writes config.json; the file is 0600, read back after a restart, bounded, a damaged file
 * reads as none with a warning; an older config.json's `pending` moves there once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeState, type StateChange } from '../../../src-main/state/node-state.js';
import { MAX_PENDING_IN_FILE, PENDING_FILE, pendingFile } from '../../../src-main/state/pending-file.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const request = (n: number, via: 'code' | 'fingerprint' = 'fingerprint') => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via,
  address: `10.0.${n}.1:7475`,
  addresses: [],
});
const saved = (n: number, id = `r${n}`) => ({
  ...request(n),
  id,
  firstSeen: new Date().toISOString(),
  lastSeen: new Date().toISOString(),
});

function home(): string {
  return mkdtempSync(join(tmpdir(), 'cb-pending-file-'));
}

test('a knock writes pending.json (0600) and never config.json; a restart reads it back', () => {
  const dir = home();
  const state = NodeState.open(dir);
  state.setOptions({ name: 'home' });
  const config = join(dir, 'config.json');
  const before = { text: readFileSync(config, 'utf8'), mtime: statSync(config).mtimeMs };
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));
  // Times of their own: a refresh in the same millisecond as the knock would change nothing.
  const t = Date.now();
  const first = state.recordPending(request(1), t);
  state.recordPending(request(1), t + 1000); // the same node knocking again: a refresh
  state.recordPending(request(2), t + 2000);
  assert.ok(!('refused' in first), "!('refused' in first)");
  assert.deepEqual(
    changes.map((c) => [c.kind, c.before === undefined]),
    [
      ['pending', true],
      ['pending', false],
      ['pending', true],
    ],
    'the same typed changes as before',
  );
  assert.equal(readFileSync(config, 'utf8'), before.text);
  assert.equal(statSync(config).mtimeMs, before.mtime);
  assert.equal(statSync(join(dir, PENDING_FILE)).mode & 0o777, 0o600);

  const again = NodeState.open(dir);
  assert.deepEqual(
    again.pending().map((p) => [p.id, p.fingerprint]),
    [
      [first.record.id, fp(1)],
      [again.pending()[1]!.id, fp(2)],
    ],
  );
  // The owner's answer is what config.json keeps.
  again.rejectPending(first.record.id, fp(1));
  assert.ok(NodeState.open(dir).isBlocked(fp(1)), 'NodeState.open(dir).isBlocked(fp(1))');
  assert.deepEqual(
    NodeState.open(dir)
      .pending()
      .map((p) => p.fingerprint),
    [fp(2)],
  );
});

test('a damaged pending.json reads as none, with a warning, and the next knock replaces it', () => {
  for (const text of ['{not json', '[]', JSON.stringify({ version: 2, requests: [] })]) {
    const dir = home();
    writeFileSync(join(dir, PENDING_FILE), text);
    const warnings: string[] = [];
    const state = NodeState.open(dir, (line) => warnings.push(line));
    assert.deepEqual(state.pending(), [], text);
    assert.match(warnings.join('\n'), /pending\.json is not readable .* starting without pending requests/);
    state.recordPending(request(3));
    assert.deepEqual(
      NodeState.open(dir)
        .pending()
        .map((p) => p.fingerprint),
      [fp(3)],
    );
  }
});

test('bounded: a file with more requests than both rooms hold reads as none; a bad request is dropped', () => {
  const dir = home();
  const many = Array.from({ length: MAX_PENDING_IN_FILE + 1 }, (_, i) => saved(i + 1));
  writeFileSync(join(dir, PENDING_FILE), JSON.stringify({ version: 1, requests: many }));
  const warnings: string[] = [];
  assert.deepEqual(pendingFile(dir, (l) => warnings.push(l)).load(), []);
  assert.equal(warnings.length, 1);

  const bad = { ...saved(2), firstSeen: 'yesterday' };
  const twice = saved(1, 'again'); // the same node twice: the first is kept
  writeFileSync(
    join(dir, PENDING_FILE),
    JSON.stringify({ version: 1, requests: [saved(1), bad, twice, 'x'] }),
  );
  const dropped: string[] = [];
  assert.deepEqual(
    pendingFile(dir, (l) => dropped.push(l))
      .load()
      .map((p) => p.id),
    ['r1'],
  );
  assert.equal(dropped.length, 2, dropped.join('\n'));
});

test('a request of a node decided on since (a peer, blocked) is not pending when read back', () => {
  const dir = home();
  const state = NodeState.open(dir);
  state.block(fp(5));
  writeFileSync(join(dir, PENDING_FILE), JSON.stringify({ version: 1, requests: [saved(5), saved(6)] }));
  assert.deepEqual(
    NodeState.open(dir)
      .pending()
      .map((p) => p.fingerprint),
    [fp(6)],
  );
});

test('an older config.json’s pending requests move to pending.json once, and leave config.json', () => {
  const dir = home();
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ name: 'home', pending: [saved(1), saved(2)], blocked: [] }, null, '\t'),
  );
  const state = NodeState.open(dir);
  assert.equal(state.moveLegacyPending(), 2);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal('pending' in config, false);
  assert.equal(config.name, 'home');
  assert.deepEqual(
    state.pending().map((p) => p.id),
    ['r1', 'r2'],
  );
  const next = NodeState.open(dir);
  assert.deepEqual(
    next.pending().map((p) => p.id),
    ['r1', 'r2'],
  );
  const text = readFileSync(join(dir, 'config.json'), 'utf8');
  assert.equal(next.moveLegacyPending(), 0, 'nothing left to move');
  assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), text);
});
