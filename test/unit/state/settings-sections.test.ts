/**
 * The settings schema is the node's own and the sections the domains bring (state/settings-sections.ts,
 * ADR 0093), handed to the state by its composition (api/vocabulary.ts, ADR 0118): a config.json
 * written by the release whose state/settings.ts still held the forwards' schema
 * (test/fixtures/settings/config.json, saved by that code, with what it read it as beside it) reads
 * the same and is written back with the same values; a state opened without the domains keeps their
 * sections untouched; the sections' changes are announced as their pieces say.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NodeState, type StateChange } from '../../../src-main/state/node-state.js';
import { vocabularyOf } from '../../../src-main/api/vocabulary.js';
import { savedForwardsOf } from '../../helpers/saved-forwards.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/settings/${name}`, import.meta.url));

/** A home holding the fixture's config.json. */
function fixtureHome(): string {
  const home = tempDir('cb-sections-');
  copyFileSync(fixture('config.json'), join(home, 'config.json'));
  return home;
}

test('a config.json written before the domains brought their sections reads as it did, and is saved with the same values', () => {
  const home = fixtureHome();
  const state = NodeState.open(home, undefined, agentVocabulary);
  const expected = JSON.parse(readFileSync(fixture('read.json'), 'utf8')) as unknown;
  assert.deepEqual(JSON.parse(JSON.stringify(state.get())), expected);
  assert.deepEqual(state.unknownKeys, ['futureSetting', 'peers[office].note', 'forwards[web].colour']);
  // A save that changes nothing writes the file again (a new file put in its place), as this release writes it.
  const before = statSync(join(home, 'config.json')).ino;
  state.setOptions({});
  assert.notEqual(statSync(join(home, 'config.json')).ino, before, 'the file was written');
  // The same settings, each value as it was (the domains' keys may stand elsewhere among the others).
  assert.deepEqual(
    JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')),
    JSON.parse(readFileSync(fixture('config.json'), 'utf8')),
  );
});

test('a state opened without the domains keeps their sections as it found them', () => {
  const home = fixtureHome();
  // As the CLI's own reads of config.json open it: the node's vocabulary alone.
  const bare = NodeState.open(home);
  bare.setOptions({ name: 'renamed' });
  // It does not know the forwards: kept as a key it does not know, as a newer release's setting is.
  assert.ok(bare.unknownKeys.includes('forwards'), bare.unknownKeys.join(', '));
  const saved = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
  const before = JSON.parse(readFileSync(fixture('config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(saved.name, 'renamed');
  assert.deepEqual(saved.forwards, before.forwards);
  // And the agent (which has the forwards domain) reads them as before, in the same process.
  const state = NodeState.open(home, undefined, agentVocabulary);
  assert.deepEqual(
    state.get().forwards.map((f) => f.name),
    ['db', 'web', 'dns', 'docs'],
    'the forwards, read by a state with the domains',
  );
});

test("a section's writes are announced as its piece's change kind, keyed by its entries' key", () => {
  const state = NodeState.open(fixtureHome(), undefined, agentVocabulary);
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));
  const saved = savedForwardsOf(state);
  saved.removeForward('dns');
  saved.editForward('db', (f) => ({ ...f, enabled: false }));
  assert.deepEqual(
    changes.map((c) => [c.kind, c.id, c.before !== undefined, c.after !== undefined]),
    [
      ['forward', 'dns', true, false],
      ['forward', 'db', true, true],
    ],
  );
});

test('two domains that bring one section are refused', () => {
  const entry = () => {
    throw new Error('not made');
  };
  const section = { entry, max: 1, key: 'id', change: 'toy' };
  assert.throws(
    () => vocabularyOf([{ settings: { toys: section } }, { settings: { toys: { ...section } } }]),
    /two domains bring the settings' toys/,
  );
  assert.throws(
    () => NodeState.open(fixtureHome(), undefined, agentVocabulary).section('toys' as 'forwards'),
    /no domain here brings/,
  );
});
