/**
 * Who else is in a share, as the node where the shell runs tells one of its viewers
 * (`terminal-present`, docs/adr/0123-shared-terminals.md): the sharer's name and each viewer's name,
 * device, typing or watching and open now or not, the asker marked — no fingerprint, nothing of
 * other shares. A node the share does not name is refused with a line; a viewer may open this and the
 * view, and is refused every op of `terminal-share` (sharing, listing, revoking, stopping are the
 * opener's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import pino from 'pino';
import { ServiceRegistry } from '../../../../src-main/services/services.js';
import type { StreamRequest } from '../../../../src-main/mux/types.js';
import { serveShares } from '../../../../src-main/terminal/shares/share-service.js';
import {
  TERMINAL_PRESENT_SERVICE,
  TERMINAL_SHARE_SERVICE,
} from '../../../../src-main/terminal/shares/share-wire.js';
import { TERMINAL_VIEW_SERVICE } from '../../../../src-main/terminal/shares/share-registry.js';
import { until } from '../../../helpers/wait.js';

const A = { fingerprint: 'a'.repeat(64), name: 'alice' };
const C = { fingerprint: 'c'.repeat(64), name: 'carol' };
const D = { fingerprint: 'd'.repeat(64), name: 'dan' };
const E = { fingerprint: 'e'.repeat(64), name: 'erin' };
const SESSION = 'f'.repeat(32);
const OTHER_SESSION = '9'.repeat(32);

/** B: the share services on a real registry, sessions S and S' opened by A; `peers` paired with B. */
function nodeB(peers: string[] = []) {
  const services = new ServiceRegistry({
    name: () => 'b',
    state: {
      peer: (fp: string) =>
        peers.includes(fp)
          ? ({ fingerprint: fp, name: 'peer', allow: ['terminal'], addresses: [], addedAt: '' } as never)
          : undefined,
      subscribe: () => () => undefined,
    },
  });
  const shares = serveShares({
    selfName: () => 'b',
    log: pino({ level: 'silent' }),
    audit: undefined,
    services,
    sessions: {
      openedBy: (id, opener) =>
        (id === SESSION || id === OTHER_SESSION) && opener === A.fingerprint ? { what: 'shell' } : undefined,
      watch: () => new Promise(() => undefined),
      onGone: () => () => undefined,
    },
  });
  /** Opens `service` as `peer` (its words `allow`): how B answered, and the line it wrote if any. */
  const open = async (
    peer: { fingerprint: string; name: string },
    service: string,
    args: unknown,
    allow: 'terminal'[] = [],
  ) => {
    const out: { code?: string; reason?: string; line?: string } = {};
    let text = '';
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _e, done) => {
        text += chunk.toString('utf8');
        done();
      },
      final: (done) => {
        out.line = text.trim();
        done();
      },
    });
    const req: StreamRequest = {
      service,
      args,
      accept: () => stream as never,
      reject: (code, reason) => Object.assign(out, { code, reason }),
      signal: new AbortController().signal,
    };
    services.dispatch('b', { ...peer, allow }, req);
    return until(`b to answer ${service} from ${peer.name}`, () =>
      out.code !== undefined || out.line !== undefined ? out : undefined,
    );
  };
  return { shares, open };
}

test('a viewer is told who is in its share: names, devices, typing, here now — no fingerprint, no other share', async () => {
  const { shares, open } = nodeB();
  const share = shares.share({
    session: SESSION,
    opener: A,
    what: 'shell',
    viewers: [C, { ...D, device: 'dans-laptop' }, E],
    write: false,
  });
  shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [D], write: true });
  shares.join(share.id, D.fingerprint, () => undefined, 'b');
  // Another share of A's, with someone else: C learns nothing of it.
  shares.share({
    session: OTHER_SESSION,
    opener: A,
    what: 'shell',
    viewers: [{ ...E, name: 'secret' }],
    write: false,
  });

  const answer = await open(C, TERMINAL_PRESENT_SERVICE, { share: share.id });
  assert.equal(answer.code, undefined, `C (a guest for the view) may ask: ${answer.reason}`);
  assert.deepEqual(
    JSON.parse(answer.line ?? ''),
    {
      ok: true,
      sharerName: 'alice',
      viewers: [
        { name: 'carol', device: 'carol', write: false, watching: false, you: true },
        { name: 'dan', device: 'dans-laptop', write: true, watching: true },
        { name: 'erin', device: 'erin', write: false, watching: false },
      ],
    },
    'the sharer, and each viewer as the sharer named it, C marked',
  );
  for (const fp of [A.fingerprint, C.fingerprint, D.fingerprint, E.fingerprint])
    assert.ok(!answer.line!.includes(fp), `no fingerprint in the answer: ${answer.line}`);
  assert.ok(!answer.line!.includes('secret'), 'nothing of another share');
});

test('a node the share does not name is refused with a line, peer or not', async () => {
  const { shares, open } = nodeB([A.fingerprint, D.fingerprint]);
  const share = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: false });
  // D is B's peer (it may even open terminals there), but not in this share.
  const refused = await open(D, TERMINAL_PRESENT_SERVICE, { share: share.id }, ['terminal']);
  assert.deepEqual(
    JSON.parse(refused.line ?? ''),
    {
      ok: false,
      message: `b has no shared terminal '${share.id}' for this node (it ended, or it was never shared with it)`,
    },
    'refused, saying why',
  );
  const opener = await open(A, TERMINAL_PRESENT_SERVICE, { share: share.id }, ['terminal']);
  assert.equal(JSON.parse(opener.line ?? '').ok, false, 'the sharer asks with terminal.viewers, not this');
  const bad = await open(C, TERMINAL_PRESENT_SERVICE, { share: 'nope' });
  assert.match(
    (JSON.parse(bad.line ?? '') as { message: string }).message,
    /^bad request/,
    'a bad request is said so',
  );
});

test('a viewer may open the view and who is there, and is refused every op of terminal-share', async () => {
  const { shares, open } = nodeB();
  const share = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: false });
  assert.deepEqual(
    shares.guests().map((g) => g.services),
    [[TERMINAL_VIEW_SERVICE, TERMINAL_PRESENT_SERVICE]],
    'its guest entry names the two services',
  );
  const ops = [
    { op: 'add', session: SESSION, viewers: [{ ...D }], write: true },
    { op: 'viewers', share: share.id },
    { op: 'revoke', share: share.id, viewer: C.fingerprint },
    { op: 'unshare', share: share.id },
  ];
  for (const args of ops) {
    const r = await open(C, TERMINAL_SHARE_SERVICE, args);
    assert.equal(r.code, 'PERMISSION_DENIED', `${args.op} from a viewer is refused: ${JSON.stringify(r)}`);
    assert.match(r.reason ?? '', /may open only terminal-view, terminal-present/, 'saying what it may open');
  }
});

test("a viewer that is B's peer with `terminal` is refused every op of terminal-share all the same", async () => {
  const { shares, open } = nodeB([C.fingerprint]);
  const share = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: false });
  const ops = [
    { op: 'add', session: SESSION, viewers: [{ ...D }], write: true },
    { op: 'viewers', share: share.id },
    { op: 'revoke', share: share.id, viewer: C.fingerprint },
    { op: 'unshare', share: share.id },
  ];
  // A paired node is no guest: terminal-share's own check (the opener's, per op) refuses it.
  for (const args of ops) {
    const r = await open(C, TERMINAL_SHARE_SERVICE, args, ['terminal']);
    assert.equal(JSON.parse(r.line ?? '').ok, false, `${args.op} from a viewer B knows as a peer is refused`);
  }
  assert.equal(shares.ofOpener(share.id, A.fingerprint)?.viewers.size, 1, 'the share is as A made it');
  assert.equal(shares.mayWrite(share.id, C.fingerprint), false, 'C still only watches');
});
