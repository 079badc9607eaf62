/** The domains merged (app/domain-set.ts): one answer per method, events followed together, parts in order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDomains, mergeDomains } from '../../../src-main/app/domain-set.js';
import { domainKey, type DomainContext } from '../../../src-main/links/domain.js';
import { Emitter } from '../../../src-main/core/emitter.js';
import { isClawError } from '../../../src-main/core/errors.js';

test('two domains answering one method are refused, naming both', () => {
  assert.throws(
    () =>
      mergeDomains([
        { name: 'a', instance: { handlers: { 'share.list': () => [] } } },
        { name: 'b', instance: { handlers: { 'share.list': () => [] } } },
      ]),
    (err) =>
      isClawError(err, 'INTERNAL') && /share\.list is answered by two domains: a and b/.test(err.message),
  );
});

test("each event's sources are followed together and let go together; busy when any is", () => {
  const a = new Emitter<{ e: [] }>();
  const b = new Emitter<{ e: [] }>();
  let busyB = false;
  const set = mergeDomains([
    { name: 'a', instance: { events: { activity: (l) => a.on('e', l), busy: () => false } } },
    { name: 'b', instance: { events: { activity: (l) => b.on('e', l), busy: () => busyB } } },
  ]);
  let moved = 0;
  const off = set.events.activity!(() => moved++);
  a.emit('e');
  b.emit('e');
  assert.equal(moved, 2);
  off();
  a.emit('e');
  b.emit('e');
  assert.equal(moved, 2, 'both let go');
  assert.equal(set.events.busy!(), false);
  busyB = true;
  assert.equal(set.events.busy!(), true);
});

test('what a domain provides is there for the ones after it; provided twice is refused', async () => {
  const KEY = domainKey<string>('test key');
  const seen: (string | undefined)[] = [];
  const base = {} as Omit<DomainContext, 'provide' | 'use'>;
  await createDomains(
    [
      { name: 'before', folder: 'before', contract: {}, create: (ctx) => (seen.push(ctx.use(KEY)), {}) },
      { name: 'provider', folder: 'provider', contract: {}, create: (ctx) => (ctx.provide(KEY, 'here'), {}) },
      { name: 'after', folder: 'after', contract: {}, create: (ctx) => (seen.push(ctx.use(KEY)), {}) },
    ],
    base,
  );
  assert.deepEqual(seen, [undefined, 'here']);
  await assert.rejects(
    createDomains(
      [
        { name: 'one', folder: 'one', contract: {}, create: (ctx) => (ctx.provide(KEY, '1'), {}) },
        { name: 'two', folder: 'two', contract: {}, create: (ctx) => (ctx.provide(KEY, '2'), {}) },
      ],
      base,
    ),
    (err) => isClawError(err, 'INTERNAL'),
  );
});
