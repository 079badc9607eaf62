/**
 * An address a peer only claimed over its `traverse` stream (a mapped address) is dialed while the
 * agent runs, but observations.json does not keep it until a link over it worked: a peer cannot plant
 * addresses that are dialed again after every restart. A file an older release wrote with such claims
 * in it loads without them. A peer naming one mapped address after another leaves one to dial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observations, observationsFile, OBSERVATIONS_FILE } from '../../../src-main/state/observations.js';

const fp = 'b'.repeat(64);
const quiet = () => undefined;

test('a claimed mapped address is not kept across a restart until a link over it worked', () => {
  const home = mkdtempSync(join(tmpdir(), 'obs-claims-'));
  const first = new Observations(observationsFile(home, quiet));
  first.learn(fp, ['10.0.0.2:7475'], 'hello');
  first.learn(fp, ['203.0.113.7:40000'], 'mapped');
  assert.deepEqual(
    first.addresses(fp).map((e) => e.address),
    ['10.0.0.2:7475', '203.0.113.7:40000'],
    'dialed while this run lasts',
  );
  first.flush();
  assert.doesNotMatch(readFileSync(join(home, OBSERVATIONS_FILE), 'utf8'), /203\.0\.113\.7/);
  const second = new Observations(observationsFile(home, quiet));
  assert.deepEqual(
    second.addresses(fp).map((e) => e.address),
    ['10.0.0.2:7475'],
  );

  second.learn(fp, ['203.0.113.7:40000'], 'mapped');
  second.worked(fp, '203.0.113.7:40000', new Date('2026-11-28T00:00:00Z'));
  second.flush();
  const third = new Observations(observationsFile(home, quiet));
  assert.ok(
    third.addresses(fp).some((e) => e.address === '203.0.113.7:40000' && e.lastWorked !== undefined),
    'once it worked it is kept',
  );
});

test('a file with claims that never worked (an older release wrote them) loads without them', () => {
  const home = mkdtempSync(join(tmpdir(), 'obs-claims-'));
  writeFileSync(
    join(home, OBSERVATIONS_FILE),
    JSON.stringify({
      version: 1,
      peers: {
        [fp]: {
          addresses: [
            { address: '127.0.0.1:41000', from: ['mapped'] },
            { address: '127.0.0.2:41001', from: ['mapped'] },
            { address: '10.0.0.2:7475', from: ['hello'] },
          ],
        },
      },
    }),
  );
  const obs = new Observations(observationsFile(home, quiet));
  assert.deepEqual(
    obs.addresses(fp).map((e) => e.address),
    ['10.0.0.2:7475'],
  );
});

test('a new mapped address takes back the one the peer named before, which never worked', () => {
  const obs = new Observations();
  for (let i = 0; i < 40; i++) obs.learn(fp, [`203.0.113.${i % 2 ? 1 : 2}:${40_000 + i}`], 'mapped');
  assert.deepEqual(
    obs.addresses(fp).map((e) => e.address),
    ['203.0.113.1:40039'],
  );
});
