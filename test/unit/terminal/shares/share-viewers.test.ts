/**
 * Who is in a share, as the node where the shell runs answers `terminal.viewers` (and so
 * `sessions viewers ID --json`): each viewer with the fields the window shows — name, device,
 * fingerprint, watching or typing (`write`), since — and whether it has the terminal open now
 * (docs/adr/0123-shared-terminals.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareRegistry } from '../../../../src-main/terminal/shares/share-registry.js';
import { fakeClock } from '../../../helpers/fake-clock.js';

const A = { fingerprint: 'a'.repeat(64), name: 'a' };
const C = { fingerprint: 'c'.repeat(64), name: 'carol' };
const D = { fingerprint: 'd'.repeat(64), name: 'dan', device: 'dans-laptop' };

test('each viewer carries name, device, fingerprint, watching or typing, and since', () => {
  const shares = new ShareRegistry(() => undefined, fakeClock(Date.parse('2026-01-02T03:04:05Z')));
  const share = shares.share({
    session: 'f'.repeat(32),
    opener: A,
    what: 'shell',
    viewers: [C],
    write: false,
  });
  shares.share({ session: 'f'.repeat(32), opener: A, what: 'shell', viewers: [D], write: true });
  shares.join(share.id, C.fingerprint, () => undefined, 'b');
  assert.deepEqual(
    shares.viewers(share),
    [
      {
        fingerprint: C.fingerprint,
        name: 'carol',
        device: 'carol',
        write: false,
        since: '2026-01-02T03:04:05.000Z',
        watching: true,
      },
      {
        fingerprint: D.fingerprint,
        name: 'dan',
        device: 'dans-laptop',
        write: true,
        since: '2026-01-02T03:04:05.000Z',
        watching: false,
      },
    ],
    "a peer's device is its name unless the sharer names it apart; write is typing, else watching",
  );
});
