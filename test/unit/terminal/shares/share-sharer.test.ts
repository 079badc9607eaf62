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

const A = 'a'.repeat(64);
const D = { fingerprint: 'd'.repeat(64), name: 'd-laptop', addresses: [] };
const E = { fingerprint: 'e'.repeat(64), name: 'e-phone', addresses: [] };

/** A sharer A whose terminal runs on B, in group `team` (owner devices A and B; member Dana on D and E). */
function groupSharer(opened: { service: string; args: unknown; to: string }[], linked = [B, C, D, E]) {
  const entries = linked.map((record) => ({ record }));
  const groups = [
    {
      id: '1'.repeat(32),
      name: 'team',
      deleted: false,
      devices: [
        { fingerprint: A, name: 'a' },
        { fingerprint: B.fingerprint, name: 'b' },
      ],
      members: [
        {
          name: 'Dana',
          devices: [
            { fingerprint: D.fingerprint, name: D.name },
            { fingerprint: E.fingerprint, name: E.name },
          ],
        },
      ],
    },
    {
      id: '2'.repeat(32),
      name: 'alone',
      deleted: false,
      devices: [{ fingerprint: A, name: 'a' }],
      members: [],
    },
  ];
  return new ShareSharer(
    {
      events: new Emitter<{ terminal: [TerminalEvent] }>(),
      list: () => [],
      remote: () => ({ info: { peer: B.fingerprint, peerName: 'b' }, session: 'e'.repeat(32) }),
    } as never,
    {
      peerEntries: () => entries as never,
      peerEntry: (fp: string) => entries.find((e) => e.record.fingerprint === fp),
      homeRelay: () => undefined,
      self: () => ({ fingerprint: A, name: 'a' }) as never,
      openStream: (entry: { record: { fingerprint: string } }, service: string, args: unknown) => {
        opened.push({ service, args, to: entry.record.fingerprint });
        const answer = service === 'terminal-share' ? { ok: true, share: SHARE, viewers: [] } : { ok: true };
        return Promise.resolve({ stream: answering(JSON.stringify(answer)) });
      },
    } as never,
    pino({ level: 'silent' }),
    () => groups,
  );
}

test("a share with a group names each of its devices but the sharer's and the host's, and tells each", async () => {
  const opened: { service: string; args: unknown; to: string }[] = [];
  const r = await groupSharer(opened).share({ id: ID, group: 'team', write: true });
  assert.deepEqual(
    opened[0],
    {
      service: 'terminal-share',
      to: B.fingerprint,
      args: {
        op: 'add',
        session: 'e'.repeat(32),
        viewers: [
          { fingerprint: D.fingerprint, name: 'Dana', device: D.name },
          { fingerprint: E.fingerprint, name: 'Dana', device: E.name },
        ],
        write: true,
      },
    },
    "B keeps a share naming the member's two devices, the person apart from the device",
  );
  assert.deepEqual(
    opened
      .filter((o) => o.service === 'terminal-offer')
      .map((o) => o.to)
      .sort(),
    [D.fingerprint, E.fingerprint],
    "each of the member's devices is told of the share",
  );
  assert.equal(r.untold, undefined, 'every device was told');
});

test('a share with a group names the devices that could not be told, and still tells the others', async () => {
  const opened: { service: string; args: unknown; to: string }[] = [];
  const r = await groupSharer(opened, [B, D]).share({ id: ID, group: '1'.repeat(32) });
  assert.deepEqual(r.untold, [`Dana (${E.name})`], 'E has no link here, so it is named as not told');
  assert.deepEqual(
    opened.filter((o) => o.service === 'terminal-offer').map((o) => o.to),
    [D.fingerprint],
    'D is told',
  );
});

test('a share names peers or a group, exactly one; an unknown group or one with no other device is refused', async () => {
  const opened: { service: string; args: unknown; to: string }[] = [];
  const sharer = groupSharer(opened);
  await assert.rejects(
    sharer.share({ id: ID, with: ['c'], group: 'team' }),
    /exactly one of the three/,
    'with and group together are refused',
  );
  await assert.rejects(sharer.share({ id: ID }), /exactly one of the three/, 'neither is refused');
  await assert.rejects(
    sharer.share({ id: ID, group: 'nope' }),
    /in no group 'nope'; clawbridge group ls/,
    'an unknown group is refused with where to look',
  );
  await assert.rejects(
    sharer.share({ id: ID, group: 'alone' }),
    /group 'alone' has no device but this one/,
    'a group with no other device is refused',
  );
  assert.deepEqual(opened, [], 'nothing was asked of B when the share was refused');
});
