/**
 * Reading a peer's control stream (trust/grants-channel.ts) against a peer that writes junk: one
 * warning a minute per peer however many bad lines come, and the stream closed after
 * MAX_BAD_CONTROL_LINES of them (issue 52, F2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import { MAX_BAD_CONTROL_LINES, readGrants } from '../../../src-main/trust/grants-channel.js';
import { encodeGrants } from '../../../src-main/trust/grants-message.js';
import type { Permission } from '../../../src-main/core/permissions.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

// The domains' permission words, as an agent hands them to its links (api/vocabulary.ts).
const words = agentVocabulary.permissions;

function fakeLog() {
  const warns: string[] = [];
  const log = { debug: () => undefined, warn: (_o: unknown, m: string) => void warns.push(m) };
  return { warns, log: log as unknown as Pick<Logger, 'debug' | 'warn'> };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a flood of newlines: grants before it count, two warnings in all, the stream closed', async () => {
  const { warns, log } = fakeLog();
  const stream = new PassThrough();
  let error: Error | undefined;
  stream.on('error', (e) => (error = e));
  const grants: Permission[][] = [];
  readGrants(stream, 'rogue', log, (allow) => grants.push(allow), words);
  stream.write(encodeGrants(['terminal'], words));
  stream.write(Buffer.alloc(1024 * 1024, 0x0a));
  await tick();
  assert.deepEqual(grants, [['terminal']]);
  assert.equal(stream.destroyed, true, 'closed');
  assert.match(error?.message ?? '', new RegExp(`^${MAX_BAD_CONTROL_LINES} malformed lines`));
  assert.deepEqual(warns, [
    'control line from peer skipped: empty line',
    `closed the control stream of rogue: ${MAX_BAD_CONTROL_LINES} malformed lines on the control stream`,
  ]);
});

test('the warnings are per peer and shared by its streams: a second stream warns no more', async () => {
  const { warns, log } = fakeLog();
  for (let i = 0; i < 3; i++) {
    const stream = new PassThrough();
    stream.on('error', () => undefined);
    readGrants(stream, 'rogue', log, () => undefined, words);
    stream.write('not json\n'.repeat(MAX_BAD_CONTROL_LINES));
    await tick();
    assert.equal(stream.destroyed, true);
  }
  assert.equal(warns.length, 2, warns.join('\n'));
  // Another peer is told of on its own.
  const other = new PassThrough();
  readGrants(other, 'laptop', log, () => undefined, words);
  other.write('not json\n');
  await tick();
  assert.equal(other.destroyed, false, 'one bad line is skipped, not a reason to close');
  assert.equal(warns.at(-1), 'control line from peer skipped: not JSON');
});
