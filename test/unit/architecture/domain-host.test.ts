/**
 * A domain sees a narrow host (links/domain.ts DomainContext, ADR 0085, ADR 0091): what it may read of
 * the node state, the notices it gives and the services it registers; not the whole NodeState, Notices
 * or ServiceRegistry. What it writes is the settings section its description names, through the slice
 * only its own context has (the forwards domain: its saved forwards), and what a process tells it
 * comes under its own name. The writes below do not compile (the `@ts-expect-error` lines fail the
 * typecheck when one does), a real agent's context offers exactly the named parts, and the host's
 * files name no domain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { ApiHandler } from '../../../src-main/api/contract.js';
import type { DomainContext, DomainDescription } from '../../../src-main/links/domain.js';
import { domainHost, domainSection } from '../../../src-main/app/domain-host.js';
import { createDomains, type DomainContextBase } from '../../../src-main/app/domain-set.js';
import { domains } from '../../../src-main/app/domains.js';
import type { forwardsDomain } from '../../../src-main/forwards/forwards-domain.js';
import type { terminalsDomain } from '../../../src-main/terminal/terminals-domain.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { Notices } from '../../../src-main/state/notices.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { memoryState } from '../../helpers/memory-state.js';
import { failTest } from '../../helpers/unawaited.js';

/** What a domain may not do with what it is given: each line is a compile error. */
/* eslint-disable @typescript-eslint/no-unsafe-call -- each call is one the types refuse */
export function outOfReach(ctx: DomainContext): void {
  // @ts-expect-error a domain does not change the node's options
  ctx.state.setOptions({ name: 'x' });
  // @ts-expect-error nor remove a peer
  ctx.state.removePeer('f'.repeat(64));
  // @ts-expect-error nor grant permissions
  ctx.state.setPermissions('f'.repeat(64), []);
  // @ts-expect-error nor restore the settings
  ctx.state.restore(ctx.state.get());
  // @ts-expect-error nor dispatch a peer's streams (the links do)
  ctx.services.dispatch('n', undefined, undefined);
  // @ts-expect-error nor stop the registry (the node does)
  ctx.services.stop();
  // @ts-expect-error nor take the forwards' notices off the node's feed
  ctx.notices.onNoticeOf(new Set(['forward']), () => undefined);
  // @ts-expect-error nor save a forward: the forwards domain's write, on its own slice
  ctx.state.saveForward({ name: 'x', kind: 'socks', listen: '127.0.0.1:1', enabled: true });
  // @ts-expect-error a domain that names no section has no settings to write
  ctx.settings.update((s: unknown) => s);
}

/** Another domain's writes are out of reach of the terminal domain: its context has none of them. */
export function terminalReach(ctx: Parameters<typeof terminalsDomain.create>[0]): void {
  // @ts-expect-error the forwards domain's saveForward is not the terminal's
  ctx.state.saveForward({ name: 'x', kind: 'socks', listen: '127.0.0.1:1', enabled: true });
  // @ts-expect-error nor its removeForward
  ctx.state.removeForward('x');
  // @ts-expect-error nor its section of the settings
  ctx.settings.get();
  // @ts-expect-error what the process tells the terminal domain comes under its name, not on the host
  void ctx.sessionHost;
}

/** The forwards domain writes its own section, and only that: the slice is typed by its key. */
export function forwardsReach(ctx: Parameters<typeof forwardsDomain.create>[0]): void {
  ctx.settings.update((forwards) => forwards.filter((f) => f.enabled));
  // @ts-expect-error its slice holds the forwards, not the peers
  ctx.settings.update(() => ctx.state.peers());
  // @ts-expect-error nor may it write the node's other state
  ctx.state.setPermissions('f'.repeat(64), []);
}

/** A description names a section some contract file claims, and no other key of the settings. */
export const claimsPeers: DomainDescription<
  // @ts-expect-error 'peers' is the node's, no domain's section
  'peers'
> = { name: 'x', folder: 'x', contract: {}, create: () => ({}) };
/* eslint-enable @typescript-eslint/no-unsafe-call */

/** The contract's params are typed by each piece: the node's and the domains' alike. */
export function typedParams(api: ApiHandler): void {
  // @ts-expect-error a domain's method takes its own params (files.cancel: an id)
  api.call('files.cancel', { id: 1 }).catch(failTest('api.call'));
  // @ts-expect-error a permission is one of the words the pieces bring
  api.call('peers.allow', { peer: 'x', permission: 'nope' }).catch(failTest('api.call'));
  // @ts-expect-error a method no piece brings is no method
  api.call('nobody.has', {}).catch(failTest('api.call'));
}

test("the host run-agent gives the domains holds the named parts only, and they reach the node's", () => {
  const { state } = memoryState();
  const notices = new Notices(pino({ level: 'silent' }));
  const services = new ServiceRegistry();
  const host = domainHost({ state, notices, services });
  assert.deepEqual(Object.keys(host.state).sort(), ['get', 'peer', 'peers', 'subscribe']);
  assert.deepEqual(Object.keys(host.notices).sort(), ['changed', 'notice', 'onChanged']);
  assert.deepEqual(Object.keys(host.services).sort(), ['admitGuests', 'opener', 'register']);
  // A cast finds nothing more: the node's other writes are not on the object.
  assert.equal((host.state as unknown as Record<string, unknown>).setOptions, undefined);
  assert.equal(
    (host.state as unknown as Record<string, unknown>).saveForward,
    undefined,
    "the forwards domain's writes are on its own slice, not the host",
  );
  assert.equal((host.services as unknown as Record<string, unknown>).dispatch, undefined);
  // The reads and the named writes are the node's.
  let changed = 0;
  const off = host.notices.onChanged(() => changed++);
  notices.changed();
  off();
  assert.equal(changed, 1);
  assert.equal(host.state.get().name, state.get().name);
});

test('only the domain whose description names a section gets its slice, and each gets its own options only', async () => {
  const { state } = memoryState();
  const contexts = new Map<string, Record<string, unknown>>();
  const seen = (name: string) => (ctx: object) => (contexts.set(name, ctx as Record<string, unknown>), {});
  const base = {} as DomainContextBase;
  const owner: DomainDescription<'forwards'> = {
    name: 'owner',
    folder: 'owner',
    settings: 'forwards',
    contract: {},
    create: (ctx) => {
      ctx.settings.update((list) => [
        ...list,
        { name: 'w', kind: 'socks', listen: '127.0.0.1:1', enabled: true },
      ]);
      return seen('owner')(ctx);
    },
  };
  await createDomains(
    [{ name: 'terminals', folder: 'terminal', contract: {}, create: seen('terminals') }, owner],
    base,
    { section: domainSection(state), options: { terminals: { sessionHost: false } } },
  );
  assert.equal('settings' in contexts.get('terminals')!, false, 'no section named: no slice');
  assert.deepEqual(contexts.get('terminals')!.options, { terminals: { sessionHost: false } });
  assert.equal('settings' in contexts.get('owner')!, true, 'the owner has its slice');
  assert.deepEqual(contexts.get('owner')!.options, {}, "another domain's options are not given it");
  assert.deepEqual(
    state.get().forwards.map((f) => f.name),
    ['w'],
    "the slice's write is the node's",
  );
  for (const ctx of contexts.values()) {
    assert.equal(ctx.section, undefined, 'the slice maker stays with the root');
    assert.equal(ctx.sessionHost, undefined, 'no domain option on the host');
  }
  await assert.rejects(
    createDomains([owner, { ...owner, name: 'second' }], base, {
      section: domainSection(memoryState().state),
    }),
    (err) => isClawError(err, 'INTERNAL'),
    'two domains own one section: refused',
  );
});

test("the host's files name no domain: not its name, its folder, its section's writes or its options", () => {
  const words = new Set(
    domains.flatMap((d) => [d.name, d.folder, d.name.replace(/s$/, ''), d.folder.replace(/s$/, '')]),
  );
  words.add('sessionhost');
  const named = (text: string) => {
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    const parts = [...code.matchAll(/[A-Za-z]+/g)].flatMap((m) =>
      m[0] === 'sessionHost' ? ['sessionhost'] : m[0].split(/(?=[A-Z])/).map((w) => w.toLowerCase()),
    );
    return [...new Set(parts.filter((w) => words.has(w)))];
  };
  assert.deepEqual(named("const x = state.saveForward(r); ctx.sessionHost; import('../files/a.js')"), [
    'forward',
    'sessionhost',
    'files',
  ]);
  for (const file of ['links/domain.ts', 'app/domain-host.ts', 'app/domain-set.ts']) {
    const text = readFileSync(new URL(`../../../src-main/${file}`, import.meta.url), 'utf8');
    assert.deepEqual(named(text), [], `${file} names a domain`);
  }
});
