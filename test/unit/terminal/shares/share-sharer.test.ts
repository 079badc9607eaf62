/**
 * The sharer's side (docs/adr/0123-shared-terminals.md): when the shared terminal exits, each viewer
 * told of the share is told it is withdrawn, so a viewer not watching stops dialing the node where
 * the shell ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import pino from 'pino';
import { ShareSharer } from '../../../../src-main/terminal/shares/share-sharer.js';
import { Emitter } from '../../../../src-main/core/emitter.js';
import type { TerminalEvent } from '../../../../src-main/terminal/terminal-contract.js';
import { until } from '../../../helpers/wait.js';

const B = { fingerprint: 'b'.repeat(64), name: 'b', addresses: [] };
const C = { fingerprint: 'c'.repeat(64), name: 'c', addresses: [] };
const ID = '0123456789abcdef';
const SHARE = 'fedcba9876543210';

/** A stream that answers `line` to whoever opens it. */
function answering(line: string): Duplex {
  const d = new Duplex({ read() {}, write: (_c, _e, done) => done() });
  setImmediate(() => d.push(`${line}\n`));
  return d;
}

test('the shared terminal exiting withdraws the offer from each viewer told of it', async () => {
  const events = new Emitter<{ terminal: [TerminalEvent] }>();
  const opened: { service: string; args: unknown; to: string }[] = [];
  const entries = [{ record: B }, { record: C }];
  const sharer = new ShareSharer(
    {
      events,
      list: () => [],
      remote: () => ({ info: { peer: B.fingerprint, peerName: 'b' }, session: 'e'.repeat(32) }),
    } as never,
    {
      peerEntries: () => entries as never,
      peerEntry: (fp: string) => entries.find((e) => e.record.fingerprint === fp),
      homeRelay: () => undefined,
      self: () => ({ fingerprint: 'a'.repeat(64), name: 'a' }) as never,
      openStream: (entry: { record: { fingerprint: string } }, service: string, args: unknown) => {
        opened.push({ service, args, to: entry.record.fingerprint });
        const answer = service === 'terminal-share' ? { ok: true, share: SHARE, viewers: [] } : { ok: true };
        return Promise.resolve({ stream: answering(JSON.stringify(answer)) });
      },
    } as never,
    pino({ level: 'silent' }),
  );
  await sharer.share({ id: ID, with: ['c'] });
  assert.deepEqual(
    opened.map((o) => [o.service, o.to]),
    [
      ['terminal-share', B.fingerprint],
      ['terminal-offer', C.fingerprint],
    ],
    'B keeps the share and C is told of it',
  );
  events.emit('terminal', { id: ID, state: 'exited', exit: { code: 0 } });
  await until(
    'C to be told the share is withdrawn',
    () => opened.find((o) => o.service === 'terminal-offer' && (o.args as { op: string }).op === 'withdraw'),
    // Told on the next turns of the event loop; a generous bound, as nothing here waits on a network.
    10_000,
  );
  assert.deepEqual(
    opened.at(-1),
    { service: 'terminal-offer', args: { op: 'withdraw', share: SHARE }, to: C.fingerprint },
    'C hears the share is withdrawn',
  );
});
