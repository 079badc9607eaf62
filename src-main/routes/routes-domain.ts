/**
 * The routes domain as the composition root lists it (links/domain.ts, app/domains.ts): every node
 * can be a hop of another's route and the end of one (ADR 0017), through the `hop` and `hop-arrive`
 * services registered before the links start. No methods or parts of its own: a route is saved on
 * its peer (`peers.route`), and the links dial it.
 */
import type { DomainDescription } from '../links/domain.js';
import { routesContract } from './routes-contract.js';

export const routesDomain: DomainDescription = {
  name: 'routes',
  folder: 'routes',
  builtOn: ['forwards'],
  contract: routesContract,
  // The service's module loads when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const { registerHopServices } = await import('./hop-service.js');
    registerHopServices(ctx.services, {
      selfFingerprint: ctx.identity.fingerprint,
      peer: (fp) => ctx.state.peer(fp),
      peerEntry: (fp) => ctx.peers.peerEntry(fp),
      activePath: (entry) => ctx.peers.activePath(entry),
      arrive: (circuit) => ctx.peers.acceptRoutedCircuit(circuit),
    });
    return {};
  },
};
