/**
 * The browser core's side of a group invitation (ADR 0094 §Groups) against the agent's own, in memory:
 * its sealed invitation frames with the agent's InvitationChannel both ways, and its record check with
 * records the agent signs — taken as they are, refused whole when altered, forged or re-signed by a
 * stranger; and the records it keeps make it the member, with the group's devices, as on an agent.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { groupSignatureProblem, signGroupRecord } from '../../../src-main/crypto/group-signature.js';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { InvitationChannel } from '../../../src-main/group-members/invitation-frames.js';
import { INVITATION_USE } from '../../../src-main/group-members/invitations.js';
import { pairHelloOf, PAIR_USE } from '../../../src-main/protocol/pairing-wire.js';
import {
  decodeGroupLine,
  GROUP_RECORD_KINDS,
  groupRecord,
  groupRecordBytes,
  type GroupRecord,
  type UnsignedGroupRecord,
} from '../../../src-main/protocol/group-records.js';
import { browserGroups } from '../../../src-web/node/group-join.js';
import { signedLeave } from '../../../src-web/node/group-leave.js';
import { mergeGroupRecords, pullGroupRecords } from '../../../src-web/node/group-sync.js';
import type { MuxStream } from '../../../src-web/node/mux.js';
import { JoinerChannel } from '../../../src-web/node/group-invitation.js';
import { checkedGroupRecord } from '../../../src-web/node/group-records.js';
import { makeBrowserIdentity } from '../../../src-web/node/identity.js';
import { pairHello } from '../../../src-web/node/pairing.js';

const ownerP = generateIdentity('o1');
const strangerP = generateIdentity('x');
const deviceP = generateIdentity('o2');
const browserP = makeBrowserIdentity('phone');
const GROUP = 'ab'.repeat(16);

function signed(
  by: Awaited<typeof ownerP>,
  fields: Record<string, unknown> & { kind: string },
  seq = 1,
): GroupRecord {
  const record = {
    v: 1,
    group: GROUP,
    seq,
    by: by.fingerprint,
    byCert: Buffer.from(by.certDer).toString('base64'),
    at: '2026-11-28T12:00:00.000Z',
    ...fields,
  } as UnsignedGroupRecord;
  return signGroupRecord(by, record);
}

test("the page's hello for a group's code names the use the agent's inviter made it for", () => {
  // An inviter meets a code only with a hello of its use: the page's plain hello was refused.
  assert.deepEqual(pairHelloOf(Buffer.from(pairHello('K7QX', 'group'))), {
    tag: 'K7QX',
    use: INVITATION_USE,
  });
  assert.deepEqual(pairHelloOf(Buffer.from(pairHello('K7QX'))), { tag: 'K7QX', use: PAIR_USE });
});

test('invitation frames: the browser joiner and the agent inviter read each other, in order only', async () => {
  const key = new Uint8Array(randomBytes(32));
  const inviter = new InvitationChannel(key, 'inviter');
  const joiner = await JoinerChannel.of(key);
  assert.deepEqual(inviter.open(await joiner.seal({ t: 'join' }), 'a join'), { t: 'join' });
  const header = inviter.seal({ t: 'group', group: GROUP, name: 'lab', records: 1 });
  const batch = inviter.seal({ t: 'records', records: [{ any: 1 }] });
  // Out of order: the second frame does not open as the first.
  await assert.rejects((await JoinerChannel.of(key)).open(batch, 'the group'), /failed authentication/);
  assert.deepEqual(await joiner.open(header, 'the group'), {
    t: 'group',
    group: GROUP,
    name: 'lab',
    records: 1,
  });
  assert.deepEqual(await joiner.open(batch, 'records'), { t: 'records', records: [{ any: 1 }] });
  const altered = inviter.seal({ t: 'joined' });
  altered[altered.length - 1]! ^= 1;
  await assert.rejects(joiner.open(altered, 'the answer'), /failed authentication/);
});

test('records the agent signed are taken; altered, forged or mis-certified ones are refused', async () => {
  const owner = await ownerP;
  const stranger = await strangerP;
  const settings = signed(owner, {
    kind: 'settings',
    subject: GROUP,
    name: 'lab',
    allow: ['terminal'],
  });
  assert.deepEqual(await checkedGroupRecord(JSON.parse(JSON.stringify(settings))), settings);
  // A field the signature does not cover is refused, as an agent refuses it (the same schema).
  await assert.rejects(checkedGroupRecord({ ...settings, extra: 'x' }), /malformed record/);
  assert.ok(
    'problem' in decodeGroupLine(JSON.stringify({ ...settings, extra: 'x' })),
    'the agent refuses it too',
  );
  // Base64 whose unused bits are set: another spelling of the same signature.
  // (64 bytes end in one character and '==': A, Q, g or w; the next letter decodes to the same bytes.)
  const respelled = settings.sig.replace(
    /(.)==$/,
    (_, c: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}==`,
  );
  assert.deepEqual(Buffer.from(respelled, 'base64'), Buffer.from(settings.sig, 'base64'), 'the same bytes');
  await assert.rejects(checkedGroupRecord({ ...settings, sig: respelled }), /canonical base64/);
  await assert.rejects(checkedGroupRecord({ ...settings, allow: ['terminal', 'files'] }), /does not match/);
  await assert.rejects(checkedGroupRecord({ ...settings, name: 'other' }), /does not match/);
  // Someone else's certificate under the owner's fingerprint.
  await assert.rejects(
    checkedGroupRecord({ ...settings, byCert: Buffer.from(stranger.certDer).toString('base64') }),
    /not its signer/,
  );
  const forged = signed(stranger, {
    kind: 'settings',
    subject: GROUP,
    name: 'lab',
    allow: ['terminal'],
  });
  await assert.rejects(checkedGroupRecord({ ...forged, by: owner.fingerprint }), /not its signer/);
  await assert.rejects(checkedGroupRecord({ ...settings, kind: 'nothing' }), /malformed record \(kind/);
});

test('the kept records make the browser the member, with the devices only the owner’s signer named', async () => {
  const owner = await ownerP;
  const stranger = await strangerP;
  const device = await deviceP;
  const browser = await browserP;
  const records = [
    signed(owner, { kind: 'settings', subject: GROUP, name: 'lab', allow: ['terminal'] }),
    signed(owner, { kind: 'owner', subject: owner.fingerprint, name: 'o1' }),
    signed(owner, { kind: 'device', subject: device.fingerprint, name: 'o2' }),
    signed(owner, { kind: 'member', subject: browser.fingerprint, name: 'phone' }),
    // A validly signed record by a device that is no owner of the group counts for nothing.
    signed(stranger, { kind: 'device', subject: stranger.fingerprint, name: 'x' }, 5),
  ];
  const checked = await Promise.all(records.map((r) => checkedGroupRecord(r)));
  const stored = {
    id: GROUP,
    name: 'lab',
    inviter: { fingerprint: owner.fingerprint, name: 'o1' },
    relayUrl: 'ws://relay',
    records: checked,
  };
  const [lab] = browserGroups(browser.fingerprint, [stored]);
  assert.deepEqual(lab?.devices, [{ fingerprint: device.fingerprint, name: 'o2' }]);
  assert.deepEqual(lab?.allow, ['terminal']);
  // With the member removed, it is no group of this browser's any more.
  const removed = signed(owner, { kind: 'member-remove', subject: browser.fingerprint }, 2);
  assert.deepEqual(browserGroups(browser.fingerprint, [{ ...stored, records: [...checked, removed] }]), []);
});

/** A `groups` stream whose device answers `lines` and ends; what the browser sent is recorded. */
function answering(lines: string[]): { open: () => Promise<MuxStream>; ended: () => boolean } {
  let ended = false;
  const stream = {
    end: () => (ended = true),
    reset: () => undefined,
    onData: (listener: (b: Uint8Array) => void) =>
      queueMicrotask(() => listener(new TextEncoder().encode(lines.map((l) => `${l}\n`).join('')))),
    onEnd: (listener: () => void) => setTimeout(listener, 0),
  };
  return { open: () => Promise.resolve(stream as unknown as MuxStream), ended: () => ended };
}

test('a group device’s answer is taken whole when every record checks, refused whole otherwise', async () => {
  const owner = await ownerP;
  const stranger = await strangerP;
  const settings = signed(
    owner,
    { kind: 'settings', subject: GROUP, name: 'lab', allow: ['terminal', 'forward'] },
    2,
  );
  const hint = JSON.stringify({ hint: owner.fingerprint, addresses: ['127.0.0.1:1'] });
  const good = answering([JSON.stringify({ record: settings }), hint]);
  assert.deepEqual(await pullGroupRecords(good.open), [settings]);
  assert.equal(good.ended(), true, 'the browser sends nothing and half-closes');

  const forged = {
    ...signed(stranger, { kind: 'device', subject: stranger.fingerprint, name: 'x' }),
    by: owner.fingerprint,
  };
  await assert.rejects(
    pullGroupRecords(
      answering([JSON.stringify({ record: settings }), JSON.stringify({ record: forged })]).open,
    ),
    /not its signer/,
  );
  await assert.rejects(pullGroupRecords(answering(['x'.repeat(5000)]).open), /too long/);

  const stored = {
    id: GROUP,
    name: 'lab',
    inviter: { fingerprint: owner.fingerprint, name: 'o1' },
    relayUrl: 'ws://r',
    records: [signed(owner, { kind: 'settings', subject: GROUP, name: 'lab', allow: ['terminal'] })],
  };
  const other = signed(owner, {
    kind: 'settings',
    group: 'cd'.repeat(16),
    subject: 'cd'.repeat(16),
    name: 'ci',
    allow: ['terminal'],
  });
  assert.deepEqual(
    mergeGroupRecords(stored, [settings, other]).records,
    [settings],
    'newer kept, other groups not',
  );
});

test('the browser’s leave is a record the agent takes: its own member-remove, after the member record', async () => {
  const owner = await ownerP;
  const browser = await browserP;
  const member = signed(owner, { kind: 'member', subject: browser.fingerprint, name: 'phone' }, 3);
  const stored = {
    id: GROUP,
    name: 'lab',
    inviter: { fingerprint: owner.fingerprint, name: 'o1' },
    relayUrl: 'ws://r',
    records: [member],
  };
  const leave = await signedLeave(browser, stored);
  assert.equal(leave.kind, 'member-remove');
  assert.equal(leave.subject, browser.fingerprint);
  assert.equal(leave.by, browser.fingerprint);
  assert.equal(leave.seq, 4, 'after the member record: they are one entry, and the removal wins');
  assert.ok(groupRecord().safeParse(leave).success, 'the agent reads it');
  assert.equal(groupSignatureProblem(leave), undefined, 'and its signature holds there');
});

test('the bytes every kind of record signs are made without Node’s Buffer, which a page does not have', () => {
  const fp = (b: string) => b.repeat(64);
  const records = GROUP_RECORD_KINDS.map(
    (kind) =>
      ({
        v: 1,
        group: fp('a').slice(0, 32),
        kind,
        subject: fp('b'),
        seq: 7,
        by: fp('c'),
        byCert: 'Y2VydA==',
        at: 1_700_000_000_000,
        name: 'lab',
        allow: ['terminal', 'forward'],
        member: fp('d'),
      }) as unknown as GroupRecord,
  );
  const inNode = records.map(groupRecordBytes);
  const g = globalThis as { Buffer?: unknown };
  const saved = g.Buffer;
  delete g.Buffer;
  let inPage: Uint8Array[];
  try {
    inPage = records.map(groupRecordBytes);
  } finally {
    g.Buffer = saved;
  }
  assert.deepEqual(inPage, inNode, 'the same bytes with no Buffer about');
});
