/**
 * The group invitations as the composition root lists them (links/domain.ts, app/domains.ts), after
 * the groups domain, whose book (`groupBookKey`) they read and write: `groups.invite`,
 * `groups.invitations`, `groups.cancelInvitation` and `groups.join` (invitations.ts), on the node's
 * one-time codes (DomainCodes: pairing's rendezvous and PAKE). Open invitations end when the agent
 * stops.
 */
import { ClawError } from '../core/errors.js';
import type { DomainDescription } from '../links/domain.js';
import { groupBookKey } from '../groups/group-book.js';
import { groupInvitationsContract } from './group-invitations-contract.js';

export const groupInvitationsDomain: DomainDescription = {
  name: 'group-invitations',
  folder: 'group-invitations',
  builtOn: ['groups'],
  contract: groupInvitationsContract,
  // The invitations' modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const { Invitations } = await import('./invitations.js');
    const book = ctx.use(groupBookKey);
    if (!book) throw new ClawError('INTERNAL', 'group invitations need the groups domain before them');
    const invitations = new Invitations({
      book,
      codes: ctx.codes,
      log: ctx.log,
      changed: () => ctx.notices.changed(),
    });
    return {
      parts: { afterNode: [{ name: 'group invitations', stop: () => invitations.stop() }] },
      handlers: {
        'groups.invite': (p) => invitations.invite(p.group, p.ttlMs),
        'groups.invitations': (p) => ({ invitations: invitations.list(p.group) }),
        'groups.cancelInvitation': (p) => invitations.cancel(p.code),
        'groups.join': (p) => invitations.join(p.code),
      },
    };
  },
};
