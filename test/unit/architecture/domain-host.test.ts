/**
 * A domain sees a narrow host (links/domain.ts DomainContext, ADR 0085): what it may read of the node
 * state, the named writes domains make (forwards saves its forwards), the notices it gives and the
 * services it registers; not the whole NodeState, Notices or ServiceRegistry. The writes below do not
 * compile (the `@ts-expect-error` lines fail the typecheck when one does), and a real agent's context
 * offers exactly the named parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ApiHandler } from '../../../src-main/api/contract.js';
import type { DomainContext } from '../../../src-main/links/domain.js';
import { domainHost } from '../../../src-main/app/domain-host.js';
import { Notices } from '../../../src-main/state/notices.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { memoryState } from '../../helpers/memory-state.js';

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
}
/* eslint-enable @typescript-eslint/no-unsafe-call */

/** The contract's params are typed by each piece: the node's and the domains' alike. */
export function typedParams(api: ApiHandler): void {
  // @ts-expect-error a domain's method takes its own params (files.cancel: an id)
  void api.call('files.cancel', { id: 1 });
  // @ts-expect-error a permission is one of the words the pieces bring
  void api.call('peers.allow', { peer: 'x', permission: 'nope' });
  // @ts-expect-error a method no piece brings is no method
  void api.call('nobody.has', {});
}

test("the host run-agent gives the domains holds the named parts only, and they reach the node's", () => {
  const { state } = memoryState();
  const notices = new Notices(pino({ level: 'silent' }));
  const services = new ServiceRegistry();
  const host = domainHost({ state, notices, services });
  assert.deepEqual(Object.keys(host.state).sort(), [
    'bindLegacyForwards',
    'editForward',
    'forward',
    'get',
    'peer',
    'peers',
    'removeForward',
    'saveForward',
    'subscribe',
  ]);
  assert.deepEqual(Object.keys(host.notices).sort(), ['changed', 'notice', 'onChanged']);
  assert.deepEqual(Object.keys(host.services).sort(), ['opener', 'register']);
  // A cast finds nothing more: the node's other writes are not on the object.
  assert.equal((host.state as unknown as Record<string, unknown>).setOptions, undefined);
  assert.equal((host.services as unknown as Record<string, unknown>).dispatch, undefined);
  // The reads and the named writes are the node's.
  let changed = 0;
  const off = host.notices.onChanged(() => changed++);
  notices.changed();
  off();
  assert.equal(changed, 1);
  assert.equal(host.state.get().name, state.get().name);
});
