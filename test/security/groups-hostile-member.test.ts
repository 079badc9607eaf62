/**
 * A hostile member at the `groups` service's boundary (issue item 5; docs/security.md §Groups): M1, a
 * member of `lab`, opens the `groups` stream on O2 (one of the group's devices) through the service
 * registry, as its link would, and sends what it likes. Forged, altered and replayed records change
 * nothing: an exchange with one bad record is refused whole, records M1 may not sign count nowhere, a
 * removal stays; the bounds (lines, line size, exchanges a minute, a member's devices) hold; and M1's
 * access on O2 (the registry's guest) stays exactly the group's words.
 */
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { FileGroupBook, inMemoryGroupBook } from '../../src-main/groups/group-book.js';
import {
  GroupExchanges,
  MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER,
  MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE,
  MAX_GROUP_EXCHANGES_PER_MINUTE,
} from '../../src-main/groups/group-exchange-service.js';
import { GroupGuests } from '../../src-main/groups/group-admission.js';
import { MAX_EXIT_EXCHANGES } from '../../src-main/groups/group-exits.js';
import { GROUPS_SERVICE, MAX_GROUP_EXCHANGE_LINES } from '../../src-main/groups/group-lines.js';
import type { MuxStream } from '../../src-main/mux/stream.js';
import type { StreamRequest } from '../../src-main/mux/types.js';
import { ServiceRegistry } from '../../src-main/services/services.js';
import type { GroupRecord } from '../../src-main/protocol/group-records.js';
import type { Permission } from '../../src-main/state/settings.js';
import {
  del,
  device,
  devices,
  drop,
  exitsOf,
  lab,
  member,
  memberDevice,
  owner,
  rec,
  settings,
} from '../helpers/group-records.js';
import { testIdentity } from '../helpers/identities.js';
import { until } from '../helpers/wait.js';

const log = pino({ level: 'silent' });

async function ownerDevice() {
  const d = await devices();
  const { records } = lab(d);
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records, joined: new Map() }),
    identity: d.o2,
    mine: () => [d.o1.fingerprint, d.o3.fingerprint],
  });
  const services = new ServiceRegistry();
  // One for both, as the groups domain builds them: admission follows the records, the exchange sends.
  const exits = exitsOf(book);
  const exchanges = new GroupExchanges({
    book,
    exits,
    services,
    peers: {
      peerEntries: () => [],
      peerEntry: () => undefined,
      openStream: () => never(),
      onChanged: () => () => undefined,
    },
    log,
  });
  const guests = new GroupGuests({
    book,
    exits,
    knows: (w): w is Permission => ['terminal', 'forward', 'files', 'message'].includes(w),
    hints: () => [],
    onHints: () => () => undefined,
    onExchanged: (l) => exchanges.events.on('exchanged', l),
  });
  services.admitGuests(guests);
  guests.start();
  // Fresh once one of the owner's other devices exchanged with it (group-admission.ts).
  await exchange(services, d.o1, []);
  return { d, book, services, guests };
}

function never(): Promise<never> {
  return Promise.reject(new Error('no peers here'));
}

/**
 * One `groups` exchange opened by `from` on `services`, sending `lines` (each a JSON value, or raw
 * text); resolves with how it was answered and what came back.
 */
function exchange(
  services: ServiceRegistry,
  from: { fingerprint: string },
  lines: readonly unknown[],
): Promise<{ refused?: { code: string; reason: string }; answer: string }> {
  return new Promise((resolve) => {
    const inbound = new PassThrough();
    const outbound = new PassThrough();
    let answer = '';
    outbound.setEncoding('utf8').on('data', (c: string) => (answer += c));
    outbound.on('end', () => resolve({ answer }));
    const stream = Duplex.from({ readable: inbound, writable: outbound }) as unknown as MuxStream;
    const req: StreamRequest = {
      service: GROUPS_SERVICE,
      args: { v: 1 },
      accept: () => stream,
      reject: (code, reason) => resolve({ refused: { code, reason }, answer }),
      signal: new AbortController().signal,
    };
    services.dispatch('o2', { fingerprint: from.fingerprint, name: 'mira', allow: [] }, req);
    for (const l of lines)
      inbound.write(typeof l === 'string' ? `${l}\n` : `${JSON.stringify({ record: l })}\n`);
    inbound.end();
    stream.on('error', () => resolve({ answer }));
    stream.on('close', () => resolve({ answer }));
  });
}

const snapshot = (book: FileGroupBook) => JSON.stringify(book.view());

test("a member's forged records (an owner's words, devices, members, owners) count nowhere; its access stays the group's", async () => {
  const { d, book, services } = await ownerDevice();
  const before = snapshot(book);
  const forged: GroupRecord[] = [
    rec(d.m1, 50, settings('lab', ['terminal', 'forward', 'files'])),
    rec(d.m1, 50, device(d.m1, 'mine now')),
    rec(d.m1, 50, device(d.o1, 'o1')),
    rec(d.m1, 50, member(d.n1, 'invited by mira')),
    rec(d.m1, 50, owner(d.m1, 'owner now')),
    rec(d.m1, 50, drop('member-remove', d.n1)),
    rec(d.m1, 50, del()),
  ];
  await exchange(services, d.m1, forged);
  assert.equal(snapshot(book), before, 'the view is unchanged');
  assert.deepEqual(services.guests.get(d.m1.fingerprint)?.allow, ['terminal']);
  assert.equal(
    services.guests.get(d.o1.fingerprint),
    undefined,
    'an owner device outside the group is no guest',
  );
});

test('an altered or forged-signature record refuses the whole exchange, the honest record in it too', async () => {
  const { d, book, services } = await ownerDevice();
  const m3 = rec(d.m1, 1, memberDevice(d.m1, d.m3, 'm3'));
  const altered = { ...rec(d.o1, 60, settings('lab', ['terminal'])), allow: ['terminal', 'forward'] };
  const wrongCert = { ...rec(d.m1, 61, settings('lab')), by: d.o1.fingerprint };
  for (const bad of [altered, wrongCert]) {
    await exchange(services, d.m1, [m3, bad]);
    assert.equal(
      services.guests.get(d.m3.fingerprint),
      undefined,
      'm3 is not let in: the exchange was refused whole',
    );
    assert.deepEqual(book.view().groups[0]?.allow, ['terminal']);
  }
  // The same honest record alone is kept: M1 may name its own devices.
  await exchange(services, d.m1, [m3]);
  assert.deepEqual(services.guests.get(d.m3.fingerprint)?.allow, ['terminal']);
});

/** Whether `fp` is let in here for the news of its removal alone: no word, the `groups` exchange only. */
function onlyForTheNews(services: ServiceRegistry, fp: string): boolean {
  const g = services.guests.get(fp);
  return g !== undefined && g.allow.length === 0 && g.services?.join() === GROUPS_SERVICE;
}

test("a replayed record never brings a removed member back; the member's own devices go with it", async () => {
  const { d, book, services } = await ownerDevice();
  const old = lab(d).records;
  await book.decide([drop('member-remove', d.m1)]);
  assert.ok(onlyForTheNews(services, d.m1.fingerprint), 'M1 is let in for the news alone');
  await exchange(services, d.m1, old);
  await exchange(services, d.m2, [...old, rec(d.m1, 5, memberDevice(d.m1, d.m2, 'm2'))]);
  // What a removed device sends is not applied; the same records from anywhere else lose too.
  assert.equal(await book.receive([...old, rec(d.m1, 5, memberDevice(d.m1, d.m2, 'm2'))]), undefined);
  for (const m of [d.m1, d.m2])
    assert.ok(onlyForTheNews(services, m.fingerprint), `${m === d.m1 ? 'M1' : 'M2'} gets no word back`);
  assert.equal(book.view().groups[0]?.members.length, 0);
});

test('a removed member is let in for the news of its removal alone: sent that, nothing else opens, a few times only', async () => {
  const { d, book, services } = await ownerDevice();
  let opened = 0;
  services.register('probe', {
    permission: null,
    noun: 'probes',
    admits: 'held',
    handle: (_req, served) => {
      served.hold();
      opened++;
    },
  });
  await book.decide([drop('member-remove', d.m1), device(d.o3, 'added after')]);
  const probe = await new Promise<string>((resolve) =>
    services.dispatch(
      'o2',
      { fingerprint: d.m1.fingerprint, name: 'mira', allow: [] },
      {
        service: 'probe',
        args: null,
        accept: () => new PassThrough() as unknown as MuxStream,
        reject: (code) => resolve(code),
        signal: new AbortController().signal,
      },
    ),
  );
  assert.equal(probe, 'PERMISSION_DENIED', 'a service every peer may open is refused to it');
  assert.equal(opened, 0);

  const { answer } = await exchange(services, d.m1, []);
  const sent = answer
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { record: GroupRecord }).record);
  assert.ok(
    sent.some((r) => r.kind === 'member-remove' && r.subject === d.m1.fingerprint),
    'it is sent the record that removed it',
  );
  assert.ok(
    sent.every((r) => r.kind !== 'device' && (r.kind !== 'member-device' || r.member === d.m1.fingerprint)),
    `no device of the group, nor of another member: ${sent.map((r) => r.kind).join(', ')}`,
  );
  assert.doesNotMatch(answer, /hint/);
  for (let i = 1; i < MAX_EXIT_EXCHANGES; i++) await exchange(services, d.m1, []);
  assert.equal(services.guests.get(d.m1.fingerprint), undefined, 'gone once its exchanges are spent');
});

test('the bounds hold: lines, line size, a malformed line, devices per member, exchanges a minute', async () => {
  const { d, book, services } = await ownerDevice();
  const before = snapshot(book);
  const many = Array.from({ length: MAX_GROUP_EXCHANGE_LINES + 1 }, () =>
    rec(d.m1, 1, memberDevice(d.m1, d.m2, 'm2')),
  );
  await exchange(services, d.m1, many);
  await exchange(services, d.m1, [`{"record":"${'x'.repeat(5000)}"}`]);
  await exchange(services, d.m1, ['{"record":', '{"joined":"nope","inviters":[]}']);
  // Seventeen devices for one member: past the bound of sixteen, refused whole.
  const extra = await Promise.all(Array.from({ length: 16 }, (_, i) => testIdentity(`extra ${i}`)));
  await exchange(
    services,
    d.m1,
    extra.map((e, i) => rec(d.m1, 1, memberDevice(d.m1, e, `e${i}`))),
  );
  assert.equal(snapshot(book), before, 'nothing of them was kept');
  // A member's "joined" lines are not its to give an owner's device.
  await exchange(services, d.m1, [`{"joined":"${'c3'.repeat(16)}","inviters":["${d.m1.fingerprint}"]}`]);
  assert.equal(book.anchors().joined.size, 0);

  let refused: { code: string; reason: string } | undefined;
  for (let i = 0; i < MAX_GROUP_EXCHANGES_PER_MINUTE + 1 && !refused; i++)
    refused = (await exchange(services, d.m1, [])).refused;
  assert.equal(refused?.code, 'TOO_MANY_STREAMS');
  const stranger = await exchange(services, d.x, []);
  assert.equal(stranger.refused?.code, 'PERMISSION_DENIED', 'a node no group concerns is refused');
});

test("a member's devices together start and hold a bounded number of exchanges, past each device's own bound", async () => {
  const { d, book, services } = await ownerDevice();
  // Mira names a third device: three of hers, each under its own bound of a minute.
  await book.receive([rec(d.m1, 1, memberDevice(d.m1, d.m3, 'm3'))]);
  const refusals: string[] = [];
  for (const m of [d.m1, d.m2, d.m3])
    for (let i = 0; i < MAX_GROUP_EXCHANGES_PER_MINUTE; i++) {
      const { refused } = await exchange(services, m, []);
      if (refused) refusals.push(`${refused.code} ${refused.reason}`);
    }
  const together = MAX_GROUP_EXCHANGES_PER_MEMBER_MINUTE;
  assert.equal(refusals.length, 3 * MAX_GROUP_EXCHANGES_PER_MINUTE - together, refusals.join('\n'));
  assert.match(refusals[0] ?? '', /^TOO_MANY_STREAMS .*one member's devices together/);
  // Another member's device is not held back by mira's.
  await book.decide([member(d.n1, 'nia')]);
  assert.equal((await exchange(services, d.n1, [])).refused, undefined, 'nia exchanges');
});

test("a member's exchanges under way at once are bounded, all its devices together", async () => {
  const { d, services } = await ownerDevice();
  const opened: PassThrough[] = [];
  /** Opens an exchange from `from` that sends nothing and never ends; its refusal code, if refused. */
  const hang = (from: { fingerprint: string }) =>
    new Promise<string | undefined>((resolve) => {
      const inbound = new PassThrough();
      opened.push(inbound);
      const stream = Duplex.from({ readable: inbound, writable: new PassThrough() }) as unknown as MuxStream;
      services.dispatch(
        'o2',
        { fingerprint: from.fingerprint, name: 'mira', allow: [] },
        {
          service: GROUPS_SERVICE,
          args: { v: 1 },
          accept: () => {
            resolve(undefined);
            return stream;
          },
          reject: (code) => resolve(code),
          signal: new AbortController().signal,
        },
      );
    });
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER; i++)
    codes.push(await hang(i % 2 ? d.m1 : d.m2));
  assert.deepEqual(
    codes,
    Array(MAX_GROUP_EXCHANGES_AT_ONCE_PER_MEMBER).fill(undefined),
    'as many as allowed are taken',
  );
  assert.equal(await hang(d.m1), 'TOO_MANY_STREAMS', 'one more from either device is refused');
  // One that ends makes room.
  opened[0]!.end();
  await until('room for one more', async () => (await hang(d.m2)) === undefined, 5_000);
  for (const s of opened) s.end();
});
