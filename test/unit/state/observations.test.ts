/**
 * What the node observed (observations.ts) is kept apart from what the owner decided: learned addresses,
 * dial successes and home relays heard live in memory and in a best-effort file, merged with what the
 * owner saved only to dial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialOrder } from '../../../src-main/state/address-book.js';
import {
  dialBook,
  effectiveHomeRelay,
  Observations,
  observationsFile,
  OBSERVATIONS_FILE,
} from '../../../src-main/state/observations.js';
import { until } from '../../helpers/wait.js';

const fp = 'a'.repeat(64);

test('a success on a given address is an observation: the saved book is not touched', () => {
  const obs = new Observations();
  const saved = [{ address: '10.0.0.1:7475', from: ['given' as const] }];
  obs.learn(fp, ['10.0.0.2:7475'], 'hello');
  obs.worked(fp, '10.0.0.1:7475', new Date('2026-11-27T00:00:00Z'));
  assert.deepEqual(saved, [{ address: '10.0.0.1:7475', from: ['given'] }]);
  const book = dialBook(saved, obs.addresses(fp));
  assert.deepEqual(dialOrder(book), ['10.0.0.1:7475', '10.0.0.2:7475'], 'what worked is dialed first');
  assert.deepEqual(book.find((e) => e.address === '10.0.0.1:7475')?.from, ['given']);
});

test('dialBook joins sources and keeps the latest success of either side', () => {
  const book = dialBook(
    [{ address: 'h:1', from: ['given'], lastWorked: '2026-01-01T00:00:00Z' }],
    [
      { address: 'h:1', from: ['hello'], lastWorked: '2026-02-01T00:00:00Z' },
      { address: 'h:2', from: ['lan'] },
    ],
  );
  assert.deepEqual(book, [
    { address: 'h:1', from: ['given', 'hello'], lastWorked: '2026-02-01T00:00:00Z' },
    { address: 'h:2', from: ['lan'] },
  ]);
});

test('learning the same addresses again changes nothing and writes nothing', () => {
  let saves = 0;
  const obs = new Observations({ load: () => new Map(), save: () => void saves++ }, 60_000);
  assert.equal(obs.learn(fp, ['127.0.0.1:1'], 'hello'), true);
  assert.equal(obs.learn(fp, ['127.0.0.1:1'], 'hello'), false);
  obs.flush();
  assert.equal(saves, 1);
});

test('the file is written once per burst, without the owner file, and read back', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-obs-'));
  const warnings: string[] = [];
  const obs = new Observations(
    observationsFile(home, (l) => warnings.push(l)),
    20,
  );
  for (let i = 0; i < 50; i++) obs.worked(fp, `127.0.0.1:${1000 + (i % 3)}`);
  assert.equal(existsSync(join(home, OBSERVATIONS_FILE)), false, 'nothing written within the burst');
  await until('the burst written', () => existsSync(join(home, OBSERVATIONS_FILE)));
  const again = new Observations(observationsFile(home, (l) => warnings.push(l)));
  assert.equal(again.addresses(fp).length, 3);
  assert.equal(existsSync(join(home, 'config.json')), false);
  assert.deepEqual(warnings, []);
});

test('a broken file costs only hints: read as none, with one warning', () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-obs-'));
  writeFileSync(join(home, OBSERVATIONS_FILE), '{"version":1,"peers":{"nothex":{}}}');
  const warnings: string[] = [];
  const obs = new Observations(observationsFile(home, (l) => warnings.push(l)));
  assert.deepEqual(obs.addresses(fp), []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /only dial hints are lost/);
  obs.worked(fp, 'h:1');
  obs.flush();
  assert.match(readFileSync(join(home, OBSERVATIONS_FILE), 'utf8'), /"h:1"/, 'replaced on the next save');
});

test('a removed peer is forgotten', () => {
  const obs = new Observations();
  obs.learn(fp, ['h:1'], 'lan');
  obs.forget(fp);
  assert.deepEqual(obs.addresses(fp), []);
});

test("a peer's home relay heard in its hello is an observation, kept with its addresses", () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-obs-'));
  const obs = new Observations(
    observationsFile(home, () => undefined),
    60_000,
  );
  const relay = { url: 'wss://r2.example:7474', fingerprint: 'cd'.repeat(32) };
  assert.equal(obs.hearHomeRelay(fp, relay), true);
  assert.equal(obs.hearHomeRelay(fp, { ...relay }), false, 'every hello brings it again: no news');
  obs.learn(fp, ['10.0.0.2:7475'], 'hello');
  assert.deepEqual(obs.homeRelay(fp), relay, 'learning addresses keeps it');
  obs.flush();
  const again = new Observations(observationsFile(home, () => undefined));
  assert.deepEqual(again.homeRelay(fp), relay, 'read back');
  assert.deepEqual(
    again.addresses(fp).map((a) => a.address),
    ['10.0.0.2:7475'],
  );
  assert.equal(existsSync(join(home, 'config.json')), false);
  assert.equal(again.hearHomeRelay(fp, { url: relay.url }), true, 'the pin dropped is news');
  again.forgetHomeRelay(fp);
  assert.equal(again.homeRelay(fp), undefined);
  assert.equal(again.addresses(fp).length, 1, 'the addresses stay');
});

test('the home relay a dial uses: heard, else saved; a saved token goes with the same relay only', () => {
  const pin = 'cd'.repeat(32);
  const saved = { url: 'wss://r1.example:7474', fingerprint: pin, token: 'T' };
  assert.deepEqual(effectiveHomeRelay(saved, undefined), saved, 'nothing heard: what the owner gave');
  assert.equal(effectiveHomeRelay(undefined, undefined), undefined);
  assert.deepEqual(
    effectiveHomeRelay(saved, { url: 'wss://R1.example:7474/', fingerprint: pin }),
    { url: 'wss://R1.example:7474/', fingerprint: pin, token: 'T' },
    'the same relay spelled another way keeps the token',
  );
  assert.deepEqual(
    effectiveHomeRelay(saved, { url: 'wss://10.0.0.1:7474', fingerprint: pin }),
    { url: 'wss://10.0.0.1:7474', fingerprint: pin, token: 'T' },
    'the same relay under another URL (its pin says so) keeps the token',
  );
  assert.deepEqual(
    effectiveHomeRelay(saved, { url: 'ws://r2.example:7474' }),
    { url: 'ws://r2.example:7474' },
    'another relay: no token of the old one',
  );
});
