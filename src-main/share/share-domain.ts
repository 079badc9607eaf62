/**
 * The share domain as the composition root lists it (links/domain.ts, app/domains.ts): a share is a
 * reverse forward whose connections this node's file server answers (ADR 0052), so this domain gives
 * the forwards domain that server (`LOCAL_REVERSE_TARGET`, before forwards is created: it is listed
 * first) and answers `share.add`, `share.list` and `share.remove` with the running forward manager
 * (`FORWARDS`).
 */
import type { DomainDescription } from '../links/domain.js';
import { FORWARDS, LOCAL_REVERSE_TARGET } from '../forwards/forwards-domain.js';
import { shareContract } from './share-contract.js';

export const shareDomain: DomainDescription = {
  name: 'share',
  folder: 'share',
  builtOn: ['forwards'],
  contract: shareContract,
  // The server's modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [{ shareHandlers }, { createShareTarget }] = await Promise.all([
      import('./share-api.js'),
      import('./share-target.js'),
    ]);
    ctx.provide(
      LOCAL_REVERSE_TARGET,
      createShareTarget({ log: ctx.log, state: ctx.state, audit: ctx.audit }),
    );
    return { handlers: shareHandlers({ forwards: () => ctx.use(FORWARDS)?.(), peers: ctx.peers }) };
  },
};
