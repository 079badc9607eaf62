/**
 * Shared terminals wired into the terminal domain (docs/adr/0123-shared-terminals.md): the three
 * sides every node plays — where the shell runs (share-service.ts), the sharer (share-sharer.ts)
 * and the viewer (share-offers.ts, who asks where the shell runs who else is there: `terminal.present`)
 * — their methods, and their end with the agent.
 */
import type { Logger } from 'pino';
import type { Disposer } from '../../core/emitter.js';
import type { AuditSink } from '../../audit/audit-writer.js';
import type { StreamUpgradeHandlers } from '../../api/stream-upgrade.js';
import type { DomainCodes, DomainPeers, MethodHandlers } from '../../links/domain.js';
import type { ServiceRegistry } from '../../services/services.js';
import type { ViewerSessions } from '../viewer-sessions.js';
import { ShareOffers } from './share-offers.js';
import { serveShares } from './share-service.js';
import { ShareLinks } from './share-link.js';
import { ShareSharer } from './share-sharer.js';
import type { OffersEvent } from './share-contract.js';
import type { SharedGroup } from './share-group.js';
import type { SharedSessions } from './shared-sessions.js';

export interface SharesDeps {
  selfName: () => string;
  log: Logger;
  audit: AuditSink | undefined;
  services: Pick<ServiceRegistry, 'register' | 'admitGuests'>;
  peers: Pick<DomainPeers, 'peerEntries' | 'peerEntry' | 'openStream' | 'homeRelay' | 'self'>;
  sessions: SharedSessions;
  viewers: Pick<ViewerSessions, 'list' | 'remote' | 'events'>;
  /** The groups this node is in now (the groups domain's view), for a share with a group. */
  groups: () => readonly SharedGroup[];
  /** Pairing's one-time codes, for a share by link (share-link.ts); none: links are refused. */
  codes?: Pick<DomainCodes, 'issue' | 'retire'>;
}

export interface Shares {
  readonly handlers: MethodHandlers;
  readonly upgrades: StreamUpgradeHandlers;
  /** Calls `listener` with the offers now whenever one came, changed or ended (`terminal.offers`). */
  onOffers(listener: (e: OffersEvent) => void): Disposer;
  /** Ends every share kept here (the agent stops). */
  stop(reason: string): void;
}

export function createShares(deps: SharesDeps): Shares {
  const kept = serveShares(deps);
  const offers = new ShareOffers(deps.peers);
  offers.serve(deps.services);
  // A link's holder is admitted as a named viewer is: by the sharer, once it met the code.
  const links: ShareLinks | undefined =
    deps.codes &&
    new ShareLinks(
      deps.codes,
      (target, viewer): Promise<void> => sharer.admitLinkViewer(target.terminal, viewer, target.write),
      deps.log,
    );
  const sharer = new ShareSharer(deps.viewers, deps.peers, deps.log, deps.groups, links);
  return {
    handlers: {
      'terminal.sessions': () => ({ sessions: sharer.sessions(), offered: offers.list() }),
      'terminal.share': (p) => sharer.share(p),
      'terminal.viewers': (p) => sharer.viewersOf(p.id),
      'terminal.revoke': (p) => sharer.revoke(p.id, p.viewer),
      'terminal.unshare': (p) => sharer.unshare(p.id),
      'terminal.present': (p) => offers.present(p.share),
    },
    upgrades: { 'terminal.join': (p) => offers.join(p) },
    onOffers: (listener) => offers.onChange(() => listener({ offered: offers.list() })),
    stop: (reason) => {
      links?.stop();
      kept.closeAll(reason);
    },
  };
}
