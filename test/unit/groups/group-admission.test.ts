/**
 * groups/group-admission.ts with the registry's guest hook (services/admission.ts): on a group's
 * device, a member's devices are guests with exactly the group's words once the records are fresh
 * (an exchange with one of the owner's other devices); a held stream of a member's device ends when
 * the member is removed; on a member's device, the group's devices are guests it dials, allowed
 * nothing.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FileGroupBook, inMemoryGroupBook } from '../../../src-main/groups/group-book.js';
import { GroupGuests } from '../../../src-main/groups/group-admission.js';
import { Emitter } from '../../../src-main/core/emitter.js';
import type { MuxStream } from '../../../src-main/mux/stream.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { Permission } from '../../../src-main/state/settings.js';
import { GROUP, devices, drop, exitsOf, lab } from '../../helpers/group-records.js';

async function onO2() {
  const d = await devices();
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({ records: lab(d).records, joined: new Map() }),
    identity: d.o2,
    mine: () => [d.o1.fingerprint, d.o3.fingerprint],
  });
  const exchanged = new Emitter<{ done: [string] }>();
  const exits = exitsOf(book);
  const guests = new GroupGuests({
    book,
    exits,
    knows: (w): w is Permission => w === 'terminal' || w === 'forward',
    hints: () => [],
    onHints: () => () => undefined,
    onExchanged: (l) => exchanged.on('done', l),
  });
  // No saved peers: every node here is a guest or a stranger.
  const services = new ServiceRegistry({
    state: { peer: () => undefined, subscribe: () => () => undefined },
  });
  services.admitGuests(guests);
  guests.start();
  return { d, book, guests, services, exchanged, exits };
}

test('a group device lets members in only once an exchange with another owner device made its records fresh', async () => {
  const { d, services, exchanged, guests } = await onO2();
  assert.equal(services.guests.get(d.m1.fingerprint), undefined, 'not before the records are fresh');
  exchanged.emit('done', d.m1.fingerprint);
  assert.equal(
    services.guests.get(d.m1.fingerprint),
    undefined,
    "a member's exchange does not make them fresh",
  );
  exchanged.emit('done', d.o1.fingerprint);
  const m2 = services.guests.get(d.m2.fingerprint);
  assert.deepEqual(m2?.allow, ['terminal']);
  assert.equal(m2?.name, 'mira/m2', "under its member's name");
  assert.equal(m2?.dial, false, 'a group device does not dial members');
  guests.stop();
});

test("a member's held stream ends when the member is removed, with why", async () => {
  const { d, book, services, exchanged, guests } = await onO2();
  exchanged.emit('done', d.o1.fingerprint);
  services.register('probe', {
    permission: 'terminal',
    noun: 'probes',
    admits: 'held',
    handle: (_req, served) => void served.hold(),
  });
  const stream = new PassThrough() as unknown as MuxStream;
  let reset: Error | undefined;
  stream.destroy = (err?: Error) => {
    reset = err;
    return stream;
  };
  const m1 = services.guests.get(d.m1.fingerprint)!;
  services.dispatch(
    'o2',
    { fingerprint: m1.fingerprint, name: m1.name, allow: m1.allow },
    {
      service: 'probe',
      args: {},
      accept: () => stream,
      reject: () => assert.fail('refused'),
      signal: new AbortController().signal,
    },
  );
  assert.equal(services.size, 1);
  await book.decide([drop('member-remove', d.m1)]);
  // Let in for the news of its removal alone (group-exits.ts): no word, no other service.
  assert.deepEqual(services.guests.get(d.m1.fingerprint)?.allow, []);
  assert.match(
    reset?.message ?? '',
    /no longer lets this node in: removed from group lab/,
    'the hang-up says the member was removed from the group',
  );
  assert.equal(services.size, 0);
  assert.equal(services.guests.refusal(d.m1.fingerprint), undefined, 'owed the news: a guest, not refused');
  guests.stop();
});

test("a removed member's device that was told so is no guest, and is refused as removed, not a stranger", async () => {
  const { d, book, services, exchanged, guests, exits } = await onO2();
  exchanged.emit('done', d.o1.fingerprint);
  await book.decide([drop('member-remove', d.m1)]);
  assert.equal(services.guests.refusal(d.m1.fingerprint), undefined, 'not told yet');
  exits.delivered(d.m1.fingerprint);
  assert.equal(services.guests.get(d.m1.fingerprint), undefined, 'told: no guest');
  assert.match(
    services.guests.refusal(d.m1.fingerprint) ?? '',
    /^node \S+ was removed from group lab; to connect again, join with a new invitation from its owner$/,
    'told: refused as removed',
  );
  assert.equal(services.guests.refusal(d.x.fingerprint), undefined, 'another node is a stranger as before');
  guests.stop();
});

test("on a member's device the group's devices are guests it dials, allowed nothing", async () => {
  const d = await devices();
  const book = new FileGroupBook({
    backing: inMemoryGroupBook({
      records: lab(d).records,
      joined: new Map([[GROUP, new Set([d.o1.fingerprint])]]),
    }),
    identity: d.m1,
    mine: () => [d.m2.fingerprint],
  });
  const guests = new GroupGuests({
    book,
    exits: exitsOf(book),
    knows: (w): w is Permission => w === 'terminal',
    hints: (fp) => (fp === d.o2.fingerprint ? ['127.0.0.1:7000'] : []),
    onHints: () => () => undefined,
    onExchanged: () => () => undefined,
  });
  const list = guests.guests();
  assert.deepEqual(list.map((g) => g.name).sort(), ['o2', 'o3']);
  assert.ok(
    list.every((g) => g.dial && g.allow.length === 0),
    'dialed, allowed nothing',
  );
  assert.deepEqual(list.find((g) => g.name === 'o2')?.addresses, ['127.0.0.1:7000']);
});
