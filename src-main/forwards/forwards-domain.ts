/**
 * The forwards domain as the composition root lists it (links/domain.ts, app/domains.ts): the exit
 * services peers open here and this node's saved forwards and proxies (forwarding.ts), started once
 * the node runs and stopped before it, so its ports are freed first; the `forward.*` and `proxy.*`
 * methods (forward-api.ts), the forward and proxy lists of the status, and the ports listened on for
 * peers. What it offers the domains above it: the running forward manager (`FORWARDS`); what it
 * takes from them: the target that answers some reverse forwards here (`LOCAL_REVERSE_TARGET`: a
 * share's file server).
 */
import { ClawError } from '../core/errors.js';
import { domainKey, type DomainDescription } from '../links/domain.js';
import type { ForwardApiDeps } from './forward-api.js';
import type { ForwardManager } from './forward-manager.js';
import { forwardsContract } from './forwards-contract.js';
import type { LocalReverseTarget } from './reverse-carrier.js';

/** The running forward manager, or undefined once the node is stopping. */
export const FORWARDS = domainKey<() => ForwardManager | undefined>('forwards');

/** Serves some reverse forwards' connections in this process (share/, ADR 0052): provided before forwards is created. */
export const LOCAL_REVERSE_TARGET = domainKey<LocalReverseTarget>('forwards: local reverse target');

/** Says forwarding is not running (the agent is stopping), as every forward method does then. */
export function forwardingNotRunning(): ClawError {
  return new ClawError('INTERNAL', 'forwarding is not running in this agent; restart the agent');
}

export const forwardsDomain: DomainDescription<'forwards'> = {
  name: 'forwards',
  folder: 'forwards',
  window: 'forwards',
  // The saved forwards and proxies are this domain's to write (saved-forwards.ts, ADR 0091).
  settings: 'forwards',
  contract: forwardsContract,
  // The listeners' modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [
      { createForwarding },
      { addForward, addProxy, listForwards, listProxies, removeForward, removeProxy, setForwardEnabled },
      { savedForwards },
    ] = await Promise.all([
      import('./forwarding.js'),
      import('./forward-api.js'),
      import('./saved-forwards.js'),
    ]);
    const local = ctx.use(LOCAL_REVERSE_TARGET);
    const forwarding = createForwarding({
      get name() {
        return ctx.name();
      },
      log: ctx.log,
      notices: ctx.notices,
      state: ctx.state,
      saved: savedForwards(ctx.settings, () => ctx.state.peers()),
      services: ctx.services,
      links: ctx.peers,
      connections: ctx.connections,
      ...(ctx.audit ? { audit: ctx.audit } : {}),
      ...(local ? { local } : {}),
    });
    const running = () => (ctx.stopping() ? undefined : forwarding.manager);
    ctx.provide(FORWARDS, running);
    // The forward methods name exit peers: they see the peers and the running manager.
    const fwd = (): ForwardApiDeps => {
      const forwards = running();
      if (!forwards) throw forwardingNotRunning();
      return { forwards, peerEntries: () => ctx.peers.peerEntries(), self: () => ctx.peers.self() };
    };
    return {
      parts: {
        afterNode: [{ name: 'forwarding', start: () => forwarding.start(), stop: () => forwarding.stop() }],
      },
      handlers: {
        'forward.add': (p) => addForward(fwd(), p),
        'forward.list': () => listForwards(fwd()),
        'forward.remove': (p) => removeForward(fwd(), p.name),
        'forward.enable': (p) => setForwardEnabled(fwd(), p.name, true, p.kind),
        'forward.disable': (p) => setForwardEnabled(fwd(), p.name, false, p.kind),
        'proxy.add': (p) => addProxy(fwd(), p),
        'proxy.list': () => listProxies(fwd()),
        'proxy.remove': (p) => removeProxy(fwd(), p.name),
      },
      events: {
        activity: (listener) => running()?.activity.on('moved', listener) ?? (() => undefined),
        busy: () => (running()?.openConnections() ?? 0) > 0,
      },
      status: {
        snapshot: () => ({ forwards: running()?.forwards() ?? [], proxies: running()?.proxies() ?? [] }),
        call: () => {
          const listening = running()?.listeningForPeers() ?? [];
          return listening.length > 0 ? { listeningForPeers: listening } : {};
        },
      },
    };
  },
};
