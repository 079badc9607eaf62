/**
 * The permission words and settings sections are the composition's, built from the domains it runs
 * and handed down (api/vocabulary.ts, ADR 0118), not registered in the process: a config.json and a
 * permission set read the same whatever order the domains are listed in, and two compositions in one
 * process (one with a toy domain) each read with their own words and sections, whichever came first.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { contractOf } from '../../../src-main/api/contract-registry.js';
import type { Vocabulary } from '../../../src-main/api/vocabulary.js';
import { domains } from '../../../src-main/app/domains.js';
import type { ListedDomain } from '../../../src-main/links/domain.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { decodeControlLine, encodeGrants } from '../../../src-main/trust/grants-message.js';
import { toyDomain } from '../../fixtures/toy-domain/toy-domain.js';
import { tempDir } from '../../helpers/temp-dir.js';

const fixture = fileURLToPath(new URL('../../fixtures/settings/config.json', import.meta.url));
const vocabularyOf = (list: readonly ListedDomain[]): Vocabulary =>
  contractOf(list.map((d) => d.contract)).vocabulary;

/** A home holding the fixture's config.json, or `text` as its config.json. */
function home(text?: string): string {
  const dir = tempDir('cb-vocab-');
  if (text === undefined) copyFileSync(fixture, join(dir, 'config.json'));
  else writeFileSync(join(dir, 'config.json'), text);
  return dir;
}

/** What a state of `vocabulary` reads of `dir`, and the file it writes back after a save. */
function readAndSave(dir: string, vocabulary: Vocabulary): { read: string; written: string } {
  const state = NodeState.open(dir, undefined, vocabulary);
  const read = JSON.stringify(state.get());
  state.setOptions({ name: 'saved' });
  return { read, written: readFileSync(join(dir, 'config.json'), 'utf8') };
}

test('a config.json and a permission set read the same whatever order the domains are listed in', () => {
  const orders = [[...domains], [...domains].reverse(), [...domains.slice(3), ...domains.slice(0, 3)]].map(
    (list) => vocabularyOf(list),
  );
  // An older file too: no knownPermissions, so the words added since are granted as each decided.
  const older = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;
  delete older.knownPermissions;
  for (const text of [undefined, JSON.stringify(older)]) {
    const [first, ...others] = orders.map((vocabulary) => readAndSave(home(text), vocabulary));
    for (const other of others) {
      assert.equal(other.read, first!.read, 'the settings read, key for key in the same order');
      assert.equal(other.written, first!.written, 'the file written back, byte for byte');
    }
  }
  const [words, ...rest] = orders.map((v) => v.permissions);
  const grants =
    '{"t":"grants","allow":["listen","files","relay","message","forward","terminal","teleport"]}';
  for (const other of rest) {
    assert.deepEqual(other.words, words!.words, 'the words, in one order');
    assert.deepEqual(other.byDefault, words!.byDefault, 'the default grant');
    assert.deepEqual(decodeControlLine(grants, other), decodeControlLine(grants, words!), 'a grants line');
    assert.equal(
      encodeGrants(['files', 'terminal', 'relay'], other).toString(),
      encodeGrants(['files', 'terminal', 'relay'], words!).toString(),
      'a grants line written',
    );
  }
});

test('two compositions in one process do not see each other’s words or sections', () => {
  const agent = contractOf(domains.map((d) => d.contract));
  const withToy = contractOf([...domains, toyDomain].map((d) => d.contract));
  const config = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;
  config.toys = [{ id: '1', text: 'hello' }];
  const text = JSON.stringify(config, undefined, '\t');

  // The toy's composition first, then the agent's without it, then the toy's again: each as alone.
  for (const round of [1, 2]) {
    const toyState = NodeState.open(home(text), undefined, withToy.vocabulary);
    assert.deepEqual(
      toyState.section('toys').get(),
      [{ id: '1', text: 'hello' }],
      `${round}: the toy reads its section`,
    );
    assert.ok(!toyState.unknownKeys.includes('toys'), `${round}: a section it knows`);
    assert.ok(withToy.permissions.knows('toy'), `${round}: the toy's composition knows its word`);

    const dir = home(text);
    const plain = NodeState.open(dir, undefined, agent.vocabulary);
    assert.ok(
      plain.unknownKeys.includes('toys'),
      `${round}: the agent without the toy keeps its section as a key it does not know`,
    );
    assert.throws(
      () => plain.section('toys'),
      /no domain here brings the settings' toys/,
      `${round}: no slice of it`,
    );
    assert.equal(agent.permissions.knows('toy'), false, `${round}: nor its word`);
    assert.deepEqual(
      decodeControlLine('{"t":"grants","allow":["toy","terminal"]}', agent.permissions),
      { kind: 'grants', allow: ['terminal'], ignored: ['toy'] },
      `${round}: a peer's grant of the toy's word is one it does not know`,
    );
    assert.equal(
      agent.paramsSchema('peers.allow').safeParse({ peer: 'office', permission: 'toy' }).success,
      false,
      `${round}: the API refuses the word where the toy does not run`,
    );
    assert.equal(
      withToy.paramsSchema('peers.allow').safeParse({ peer: 'office', permission: 'toy' }).success,
      true,
      `${round}: and takes it where it does`,
    );
    plain.setOptions({ name: 'saved' });
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(saved.toys, config.toys, `${round}: a save keeps the toy's section as it was`);
  }
});
