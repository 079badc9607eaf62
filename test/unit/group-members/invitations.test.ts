/**
 * group-members/invitations.ts: an owner's device invites with a one-time code, the device that
 * meets it joins the group as its member (the inviter signs the `member` record and sends the group's
 * records; the joiner keeps them with the inviter as its anchor). Single use, a TTL, listed and
 * cancelled; a wrong code burns it; a member cannot invite; what an attacker between the two changes
 * in the sealed frames is refused whole. The codes' rendezvous and PAKE are pairing's (real agents
 * test them, test/integration/group-cli.test.ts): here a rendezvous in memory keeps their rules (one
 * meeting per code, a wrong secret fails and burns it, a code past its TTL is not found).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { pino } from 'pino';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { isoTime } from '../../../src-main/core/iso-time.js';
import type { Identity } from '../../../src-main/crypto/identity.js';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import { INVITATION_USE, Invitations } from '../../../src-main/group-members/invitations.js';
import type { DomainCodes, MetCode } from '../../../src-main/links/domain.js';
import {
  encodeInvite,
  generatePairCode,
  parseCodeOrInvite,
  type PairCode,
} from '../../../src-main/protocol/pair-code.js';
import { encodeRefusal, refusalError } from '../../../src-main/protocol/pairing-wire.js';
import { fakeClock, type FakeClock } from '../../helpers/fake-clock.js';
import { GROUP, device, devices, owner, settings } from '../../helpers/group-records.js';

type Tamper = (frame: Uint8Array, from: 'inviter' | 'joiner') => Uint8Array | undefined;

/** Frames one way: what `send` puts in, `next` takes out in order. */
function pipe() {
  const frames: Uint8Array[] = [];
  const waiting: ((f: Uint8Array | undefined) => void)[] = [];
  let closed = false;
  return {
    put(f: Uint8Array) {
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    },
    close() {
      closed = true;
      for (const w of waiting.splice(0)) w(undefined);
    },
    take(timeoutMs: number, what: string): Promise<Uint8Array> {
      const f = frames.shift();
      if (f) return Promise.resolve(f);
      if (closed) return Promise.reject(new ClawError('LINK_CLOSED', 'the other side closed the connection'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new ClawError('TIMEOUT', `timed out waiting for ${what}`)),
          timeoutMs,
        );
        waiting.push((got) => {
          clearTimeout(timer);
          if (got) resolve(got);
          else reject(new ClawError('LINK_CLOSED', 'the other side closed the connection'));
        });
      });
    },
  };
}

/** A rendezvous in memory with pairing's rules for codes; `tamper` is a hostile relay between. */
function rendezvous(clock: FakeClock, tamper: Tamper = (f) => f) {
  const open = new Map<
    string,
    { code: PairCode; expiresAt: number; by: Identity; onMet: (m: MetCode) => Promise<void>; use: string }
  >();
  const handed: Promise<void>[] = [];
  const codesOf = (self: Identity, name: string): DomainCodes => ({
    issue(ttlMs, onMet, opts) {
      const code = generatePairCode();
      open.set(code.tag, { code, expiresAt: clock.now() + ttlMs, by: self, onMet, use: opts.use });
      return Promise.resolve({
        code: code.text,
        invite: encodeInvite({ code, relayUrl: 'ws://127.0.0.1:1' }),
        expiresAt: isoTime(clock.now() + ttlMs),
      });
    },
    retire(text) {
      const { code } = parseCodeOrInvite(text);
      const had = open.get(code.tag);
      if (had?.code.text !== code.text) return false;
      open.delete(code.tag);
      return true;
    },
    meet(text, use) {
      const { code } = parseCodeOrInvite(text);
      const issued = open.get(code.tag);
      if (!issued || issued.expiresAt <= clock.now())
        return Promise.reject(new ClawError('BAD_PAIR_CODE', 'code invalid or expired'));
      // As pairing's issuer: a code of another use is refused before it is spent, in the wire's words.
      if (issued.use !== use)
        return Promise.reject(
          refusalError(encodeRefusal({ reason: 'code-use', use: issued.use }), code.text) ??
            new Error('a refusal frame that reads as none'),
        );
      open.delete(code.tag); // one try per code, right or wrong
      if (issued.code.secret !== code.secret)
        return Promise.reject(new ClawError('PAIRING_FAILED', 'pairing failed: wrong code'));
      const key = new Uint8Array(randomBytes(32));
      const toJoiner = pipe();
      const toInviter = pipe();
      const end = (
        peer: Identity,
        peerName: string,
        out: ReturnType<typeof pipe>,
        inn: ReturnType<typeof pipe>,
        from: 'inviter' | 'joiner',
      ): MetCode => ({
        peer: { fingerprint: peer.fingerprint, name: peerName, certDer: peer.certDer },
        sessionKey: key,
        via: 'relay ws://127.0.0.1:1',
        send: (f) => {
          const passed = tamper(f, from);
          if (passed) out.put(passed);
        },
        next: (t, what) => inn.take(t, what),
        close: () => {
          out.close();
          inn.close();
        },
      });
      handed.push(issued.onMet(end(self, name, toJoiner, toInviter, 'inviter')));
      return Promise.resolve(end(issued.by, 'owner-one', toInviter, toJoiner, 'joiner'));
    },
  });
  return { codesOf, settled: () => Promise.all(handed) };
}

async function world(tamper?: Tamper) {
  const d = await devices();
  const clock = fakeClock(Date.parse('2026-11-28T10:00:00Z'));
  const meeting = rendezvous(clock, tamper);
  const node = (self: Identity, name: string, mine: Identity[] = []) => {
    const book = new FileGroupBook({
      backing: inMemoryGroupBook(),
      identity: self,
      mine: () => mine.map((m) => m.fingerprint),
    });
    const invitations = new Invitations({
      book,
      codes: meeting.codesOf(self, name),
      log: pino({ level: 'silent' }),
      changed: () => undefined,
      now: clock.now,
      stepTimeoutMs: 2_000,
    });
    return { book, invitations };
  };
  const o1 = node(d.o1, 'owner-one', [d.o2]);
  await o1.book.decide([settings('lab'), owner(d.o1, 'o1'), owner(d.o2, 'o2'), device(d.o2, 'o2')]);
  return { d, clock, meeting, o1, m1: node(d.m1, 'mira'), x: node(d.x, 'xavier'), node };
}

test('the device that enters the code joins: it lists the group and its devices, the owner lists it as a member', async () => {
  const w = await world();
  const invitation = await w.o1.invitations.invite('lab');
  assert.match(invitation.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'a code to read aloud');
  assert.equal(invitation.state, 'open');
  assert.match(invitation.link, /^clawbridge:\/\/group\?invite=/, 'a link of its own, not a pairing invite');
  const joined = await w.m1.invitations.join(invitation.link);
  await w.meeting.settled();
  assert.equal(joined.group.name, 'lab');
  assert.equal(joined.inviter.fingerprint, w.d.o1.fingerprint, 'the inviter the PAKE confirmed, to compare');
  assert.deepEqual(
    joined.devices.map((x) => x.name),
    ['o2'],
  );
  const seen = w.m1.book.view().groups.find((g) => g.id === GROUP);
  assert.equal(seen?.role, 'member', "on the member's device the group is one it belongs to");
  assert.deepEqual(
    seen?.devices.map((x) => x.fingerprint),
    [w.d.o2.fingerprint],
  );
  const owned = w.o1.book.view().groups.find((g) => g.id === GROUP);
  assert.deepEqual(
    owned?.members.map((m) => [m.name, m.root]),
    [['mira', w.d.m1.fingerprint]],
    'the owner signed the member record for the device that met the code',
  );
  const [listed] = w.o1.invitations.list('lab');
  assert.equal(listed?.state, 'used');
  assert.equal(listed?.by?.fingerprint, w.d.m1.fingerprint, "the joiner's fingerprint, to compare");
  assert.equal(listed?.problem, undefined);
});

test('a code is single use: a second device with the same code finds nothing', async () => {
  const w = await world();
  const { code } = await w.o1.invitations.invite('lab');
  await w.m1.invitations.join(code);
  await assert.rejects(w.x.invitations.join(code), (err) => isClawError(err, 'BAD_PAIR_CODE'), 'used up');
  await w.meeting.settled();
  assert.deepEqual(
    w.o1.book.view().groups[0]?.members.map((m) => m.name),
    ['mira'],
    'only the first joined',
  );
  assert.equal(w.x.book.view().groups.length, 0, 'the second device has no group');
});

test('an invitation past its TTL is found by nobody and listed as expired', async () => {
  const w = await world();
  const { code } = await w.o1.invitations.invite('lab', 60_000);
  w.clock.advance(60_000);
  await assert.rejects(w.m1.invitations.join(code), (err) => isClawError(err, 'BAD_PAIR_CODE'));
  assert.deepEqual(
    w.o1.invitations.list().map((i) => i.state),
    ['expired'],
  );
  assert.equal(w.m1.book.view().groups.length, 0);
  assert.equal(w.o1.book.view().groups[0]?.members.length, 0);
});

test('a cancelled invitation is found by nobody; cancelling it again says it is not open', async () => {
  const w = await world();
  let told = 0;
  w.o1.invitations.events.on('changed', () => told++);
  const first = await w.o1.invitations.invite('lab');
  const second = await w.o1.invitations.invite('lab');
  assert.deepEqual(
    w.o1.invitations.list().map((i) => [i.id, i.state]),
    [
      [second.id, 'open'],
      [first.id, 'open'],
    ],
  );
  assert.equal(w.o1.invitations.cancel(first.code).state, 'cancelled');
  assert.equal(w.o1.invitations.cancel(second.id).state, 'cancelled', 'by id too');
  await assert.rejects(w.m1.invitations.join(first.code), (err) => isClawError(err, 'BAD_PAIR_CODE'));
  assert.throws(
    () => w.o1.invitations.cancel(first.code),
    (err) => isClawError(err, 'BAD_ARGUMENT'),
  );
  assert.equal(told, 4, 'each invitation made and each cancelled is told (the window needs no polling)');
  assert.equal(w.m1.book.view().groups.length, 0);
});

test('a wrong code fails and burns the invitation: the right code finds nothing after', async () => {
  const w = await world();
  const { code } = await w.o1.invitations.invite('lab');
  const wrong = `${code.slice(0, 5)}${code[5] === '0' ? '1' : '0'}${code.slice(6)}`;
  await assert.rejects(w.x.invitations.join(wrong), (err) => isClawError(err, 'PAIRING_FAILED'));
  await assert.rejects(w.m1.invitations.join(code), (err) => isClawError(err, 'BAD_PAIR_CODE'));
  assert.equal(w.o1.book.view().groups[0]?.members.length, 0, 'nobody became a member');
});

test('a malformed code is refused before anything is looked for', async () => {
  const w = await world();
  await assert.rejects(w.m1.invitations.join('not-a-code'), (err) => isClawError(err, 'BAD_PAIR_CODE'));
});

test('only the owner invites: a member of the group, or a node without it, is told so', async () => {
  const w = await world();
  await w.m1.invitations.join((await w.o1.invitations.invite('lab')).code);
  await assert.rejects(
    w.m1.invitations.invite('lab'),
    (err) =>
      isClawError(err, 'BAD_ARGUMENT') &&
      /only the owner of group lab can invite/.test((err as Error).message),
  );
  await assert.rejects(
    w.x.invitations.invite('lab'),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /no group named 'lab'/.test((err as Error).message),
  );
});

test('a frame altered on the way is refused whole: the joiner keeps nothing, the inviter says why', async () => {
  const w = await world((frame, from) => {
    if (from !== 'inviter') return frame;
    const bad = new Uint8Array(frame);
    bad[bad.length - 1]! ^= 1;
    return bad;
  });
  const { code } = await w.o1.invitations.invite('lab');
  await assert.rejects(
    w.m1.invitations.join(code),
    (err) => isClawError(err, 'PAIRING_FAILED') && /failed authentication/.test((err as Error).message),
  );
  await w.meeting.settled();
  assert.equal(w.m1.book.view().groups.length, 0, 'no group kept from altered frames');
  assert.match(
    w.o1.invitations.list()[0]?.problem ?? '',
    /authentication/,
    "the joiner's refusal reached the owner",
  );
});

test('a frame dropped on the way is noticed: the next one does not open', async () => {
  let dropped = false;
  const w = await world((frame, from) => {
    if (from === 'inviter' && !dropped) {
      dropped = true;
      return undefined;
    }
    return frame;
  });
  const { code } = await w.o1.invitations.invite('lab');
  await assert.rejects(w.m1.invitations.join(code), (err) => isClawError(err, 'PAIRING_FAILED'));
  await w.meeting.settled();
  assert.equal(w.m1.book.view().groups.length, 0);
});

test('a pairing code is refused before it is spent, naming `pair join` with that code', async () => {
  const w = await world();
  const codes = w.meeting.codesOf(w.d.c, 'pairing-issuer');
  const code = await pairingCode(codes);
  await assert.rejects(
    w.m1.invitations.join(code),
    (err) =>
      isClawError(err, 'BAD_PAIR_CODE') &&
      (err as Error).message.includes(`\`clawbridge pair join ${code}\``) &&
      /still good/.test((err as Error).message),
  );
  assert.equal(w.m1.book.view().groups.length, 0);
  assert.equal(codes.retire(code), true, 'the code was still open: nothing spent it');
});

test('an issuer that meets the code and sends no group is named, and the code said to be used up', async () => {
  const w = await world();
  const code = await silentCode(w.meeting.codesOf(w.d.c, 'old-issuer'));
  // The step's timeout is the world's 2 s.
  await assert.rejects(
    w.m1.invitations.join(code),
    (err) =>
      isClawError(err, 'PAIRING_FAILED') &&
      /sent no group, and the code is used up/.test((err as Error).message) &&
      !/clawbridge pair join/.test((err as Error).message),
  );
});

/** A code whose issuer runs the PAKE and then only waits (as pairing does for its owner's approval). */
async function pairingCode(codes: DomainCodes): Promise<string> {
  const issued = await codes.issue(
    60_000,
    async (met) => {
      await met.next(60_000, 'approval').catch(() => undefined);
    },
    { use: 'pair' },
  );
  return issued.code;
}

/** A group code whose issuer meets the joiner and sends nothing (no inviter of this release). */
async function silentCode(codes: DomainCodes): Promise<string> {
  const issued = await codes.issue(
    60_000,
    async (met) => {
      await met.next(60_000, 'nothing').catch(() => undefined);
    },
    { use: INVITATION_USE },
  );
  return issued.code;
}

test("an invitation to a group this person belongs to, from a device that is not its owner's, is refused whole", async () => {
  const w = await world();
  await w.m1.invitations.join((await w.o1.invitations.invite('lab')).code);
  await w.meeting.settled();
  // Mallory holds a code the member enters, for a group of hers with the id of the member's group.
  await w.x.book.decide([settings('evil', ['terminal', 'forward', 'files']), device(w.d.x, 'x')]);
  const code = (await w.x.invitations.invite('evil')).code;
  await assert.rejects(
    w.m1.invitations.join(code),
    (err) =>
      isClawError(err, 'PAIRING_FAILED') && /already belongs to group lab/.test((err as Error).message),
  );
  await w.meeting.settled();
  const lab = w.m1.book.view().groups.find((g) => g.id === GROUP);
  assert.equal(lab?.name, 'lab', 'the group keeps its name');
  assert.deepEqual(lab?.allow, ['terminal'], 'and its words');
  assert.deepEqual(
    lab?.devices.map((d) => d.fingerprint),
    [w.d.o2.fingerprint],
    "and its devices: Mallory's is not one",
  );
  assert.match(w.x.invitations.list()[0]?.problem ?? '', /already belongs/, 'Mallory is told no');
});
