/**
 * What the node observed (observations.ts) is kept apart from what the owner decided: learned addresses
 * and dial successes live in memory and in a best-effort file, merged with the saved book only to dial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialOrder } from '../../../src-main/agent/address-book.js';
import {
  dialBook,
  Observations,
  observationsFile,
  OBSERVATIONS_FILE,
} from '../../../src-main/agent/observations.js';

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
  await new Promise((r) => setTimeout(r, 60));
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
