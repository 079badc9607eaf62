/**
 * A share by link (docs/adr/0123-shared-terminals.md §Link), the sharer's side with the shell's
 * machine's registry behind it: the code is of use `view`, its holder is admitted to that one share
 * alone once it met the code, a wrong code ends the link, and `unshare` retires the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import pino from 'pino';
import { Emitter } from '../../../../src-main/core/emitter.js';
import type { IssueOptions, MetCode } from '../../../../src-main/links/domain.js';
import { encodeInvite, generatePairCode } from '../../../../src-main/protocol/pair-code.js';
import { shareRequest, type ShareAnswer } from '../../../../src-main/terminal/shares/share-wire.js';
import { ShareRegistry } from '../../../../src-main/terminal/shares/share-registry.js';
import { ShareCodeChannel, ShareLinks } from '../../../../src-main/terminal/shares/share-link.js';
import { ShareSharer } from '../../../../src-main/terminal/shares/share-sharer.js';
import type { TerminalEvent } from '../../../../src-main/terminal/terminal-contract.js';

const A = { fingerprint: 'a'.repeat(64), name: 'alice' };
const B = { fingerprint: 'b'.repeat(64), name: 'box', addresses: [] };
const PAGE = 'f'.repeat(64);
const ID = '0123456789abcdef';
const SESSION = 'e'.repeat(32);
const RELAY = 'ws://127.0.0.1:7777';

/** A stream that answers `line` to whoever opens it. */
function answering(line: string): Duplex {
  const d = new Duplex({ read() {}, write: (_c, _e, done) => done() });
  setImmediate(() => d.push(`${line}\n`));
  return d;
}

/** Sharer A, its terminal on B, whose share registry (a real one) answers A's requests as B's service does. */
function world() {
  const registry = new ShareRegistry(() => undefined);
  const issued: {
    ttlMs: number;
    onMet: (met: MetCode) => Promise<void>;
    opts: IssueOptions;
    code: string;
  }[] = [];
  const retired: string[] = [];
  const codes = {
    issue: (ttlMs: number, onMet: (met: MetCode) => Promise<void>, opts: IssueOptions) => {
      const code = generatePairCode();
      issued.push({ ttlMs, onMet, opts, code: code.text });
      return Promise.resolve({
        code: code.text,
        invite: encodeInvite({ code, relayUrl: RELAY }),
        expiresAt: new Date(Date.now() + ttlMs).toISOString(),
      });
    },
    retire: (code: string) => {
      retired.push(code);
      return true;
    },
  };
  const hostAnswer = (args: unknown): ShareAnswer => {
    const r = shareRequest().parse(args);
    const share =
      r.op === 'add'
        ? registry.share({
            session: r.session,
            opener: A,
            what: 'bash',
            viewers: r.viewers,
            write: r.write,
            expiresAt: r.expiresAt,
          })
        : registry.ofOpener(r.share, A.fingerprint);
    if (!share) return { ok: false, message: 'no such share' };
    if (r.op === 'unshare') registry.unshare(share, 'alice stopped sharing this terminal');
    if (r.op === 'revoke') registry.revoke(share, r.viewer);
    return {
      ok: true,
      share: share.id,
      viewers: registry.viewers(share),
      ...(share.expiresAt ? { expiresAt: share.expiresAt } : {}),
    };
  };
  const peers = {
    peerEntries: () => [{ record: B }] as never,
    peerEntry: (fp: string) => (fp === B.fingerprint ? { record: B } : undefined),
    homeRelay: () => undefined,
    self: () => A,
    openStream: (_entry: unknown, service: string, args: unknown) => {
      assert.equal(service, 'terminal-share', 'a link asks only the node where the shell runs');
      return Promise.resolve({ stream: answering(JSON.stringify(hostAnswer(args))) });
    },
  };
  const log = pino({ level: 'silent' });
  const links: ShareLinks = new ShareLinks(
    codes,
    (target, viewer) => sharer.admitLinkViewer(target.terminal, viewer, target.write),
    log,
  );
  const sharer: ShareSharer = new ShareSharer(
    {
      events: new Emitter<{ terminal: [TerminalEvent] }>(),
      list: () => [],
      remote: () => ({ info: { peer: B.fingerprint, peerName: B.name }, session: SESSION }),
    } as never,
    peers as never,
    log,
    () => [],
    links,
  );
  return { registry, issued, retired, sharer };
}

/** The page meeting the code: its proven fingerprint, and what the sharer sends it. */
function meeting(fingerprint = PAGE) {
  const sessionKey = randomBytes(32);
  const sent: Uint8Array[] = [];
  const met: MetCode = {
    peer: { fingerprint, name: 'code viewer', certDer: new Uint8Array(1) },
    sessionKey,
    via: `relay ${RELAY}`,
    send: (frame) => sent.push(frame),
    next: () => Promise.reject(new Error('nothing more comes')),
    close: () => undefined,
  };
  const frame = () => new ShareCodeChannel(sessionKey, 'viewer').open(sent[0]!, 'the sharer’s answer');
  return { met, sent, frame };
}

test('a link is a code of use view; its holder becomes a viewer of that share alone, read-only', async () => {
  const w = world();
  // Another share on B by the same sharer: the link's holder must not be in it.
  const other = w.registry.share({
    session: 'd'.repeat(32),
    opener: A,
    what: 'bash',
    viewers: [{ fingerprint: 'c'.repeat(64), name: 'carol' }],
    write: false,
  });
  const r = await w.sharer.share({ id: ID, link: true });
  const issued = w.issued[0]!;
  assert.equal(issued.opts.use, 'view', 'the code is made for watching, so no other command spends it');
  // The code lives as long as the share: an hour from when it was made, less the moments since.
  assert.ok(
    issued.ttlMs > 3_500_000 && issued.ttlMs <= 3_600_000,
    `a link lives an hour unless told (${issued.ttlMs} ms)`,
  );
  assert.equal(r.code, issued.code, 'the answer gives the code');
  assert.equal(r.link, `http://127.0.0.1:7777/#watch=${issued.code}`, 'and the relay page with it');
  assert.ok(r.expiresAt, `the share ends with the link (${r.expiresAt})`);
  assert.deepEqual(r.viewers, [], 'nobody is in it before the code is met');
  assert.deepEqual(
    w.registry.guests(),
    [
      {
        fingerprint: 'c'.repeat(64),
        name: 'carol',
        allow: [],
        because: ['a terminal alice shared'],
        dial: false,
        services: ['terminal-view', 'terminal-present'],
      },
    ],
    'nothing is let in on B before the code is met',
  );

  const page = meeting();
  await issued.onMet(page.met);
  const ready = page.frame();
  assert.deepEqual(
    ready,
    {
      t: 'ready',
      host: { fingerprint: B.fingerprint, name: 'box' },
      share: r.share,
      sharerName: 'alice',
      write: false,
    },
    'the page is told where to watch, sealed under the PAKE’s key',
  );
  const guest = w.registry.guests().find((g) => g.fingerprint === PAGE);
  assert.deepEqual(
    guest && { allow: guest.allow, services: guest.services },
    { allow: [], services: ['terminal-view', 'terminal-present'] },
    'B lets the page in for watching and asking who is there, and nothing else',
  );
  assert.equal(w.registry.present(r.share, PAGE)?.viewers.length, 1, 'the page is in the link’s share');
  assert.equal(w.registry.present(other.id, PAGE), undefined, 'and in no other share');
  assert.equal(w.registry.mayWrite(r.share, PAGE), false, 'read-only unless --write');
  const listed = await w.sharer.viewersOf(ID);
  assert.deepEqual(
    listed.viewers.map((v) => [v.name, v.fingerprint]),
    [[`link viewer ffff ffff`, PAGE]],
    'the sharer lists it as any viewer, named by its fingerprint’s first words',
  );
  // Switched as any viewer (the window names it by fingerprint, the CLI by name), though no peer here.
  await w.sharer.share({ id: ID, with: [PAGE], write: true });
  assert.equal(w.registry.mayWrite(r.share, PAGE), true, 'switched to typing by its fingerprint');
  await w.sharer.share({ id: ID, with: ['link viewer ffff ffff'], write: false });
  assert.equal(w.registry.mayWrite(r.share, PAGE), false, 'and back to watching by its name');
  await w.sharer.revoke(ID, 'link viewer ffff ffff');
  assert.equal(w.registry.present(r.share, PAGE), undefined, 'revoked, it is in the share no more');
  assert.equal(
    w.registry.guests().find((g) => g.fingerprint === PAGE),
    undefined,
    'nor let in on B',
  );
});

test('a wrong code ends the link: nobody is admitted by it after', async () => {
  const w = world();
  await w.sharer.share({ id: ID, link: true, write: true });
  const issued = w.issued[0]!;
  issued.opts.onSpent?.();
  issued.opts.onFailed?.('the PAKE failed');
  // Pairing never hands a burnt code on; if anything did, the link refuses it.
  const page = meeting();
  await issued.onMet(page.met);
  assert.equal(page.frame().t, 'refused', 'the link is over');
  assert.deepEqual(w.registry.guests(), [], 'nobody was let in');
});

test('unshare retires the link’s code, and ends the share where the shell runs', async () => {
  const w = world();
  const r = await w.sharer.share({ id: ID, link: true });
  await w.sharer.unshare(ID);
  assert.deepEqual(w.retired, [r.code], 'the code is no longer met on any relay');
  assert.equal(w.registry.ofOpener(r.share, A.fingerprint), undefined, 'B no longer has the share');
  const page = meeting();
  await w.issued[0]!.onMet(page.met);
  assert.equal(page.frame().t, 'refused', 'a meeting already under way is refused');
  assert.deepEqual(w.registry.guests(), [], 'and nobody was let in');
});

test('a link with no relay to meet on is refused, and its code retired', async () => {
  const w = world();
  const codes = w.issued;
  const noRelay = new ShareLinks(
    {
      issue: (ttlMs) => {
        const code = generatePairCode();
        codes.push({ ttlMs, onMet: () => Promise.resolve(), opts: { use: 'view' }, code: code.text });
        return Promise.resolve({
          code: code.text,
          invite: encodeInvite({ code }),
          expiresAt: new Date().toISOString(),
        });
      },
      retire: (code) => (w.retired.push(code), true),
    },
    () => Promise.resolve(),
    pino({ level: 'silent' }),
  );
  await assert.rejects(
    noRelay.issue({ terminal: ID, host: B, share: '1'.repeat(16), sharerName: 'alice', write: false }, 1000),
    /a link needs a relay/,
    'the error says what is missing',
  );
  assert.deepEqual(w.retired, [codes[0]!.code], 'the code made for it is retired');
});
