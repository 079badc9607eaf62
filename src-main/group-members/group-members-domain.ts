/**
 * The members' side of groups, as the composition root lists it (links/domain.ts, app/domains.ts),
 * after the groups domain, whose book (`groupBookKey`) it reads and writes: invitations
 * (`groups.invite`, `groups.invitations`, `groups.cancelInvitation`, `groups.join`; invitations.ts, on
 * the node's one-time codes: pairing's rendezvous and PAKE) and the members' session history on a
 * group's devices (`groups.history`, and the `group-history` service the owner's devices ask each
 * other on; group-history.ts). Open invitations are kept in the home (invitation-file.ts) and open
 * again when the agent starts.
 */
import { ClawError } from '../core/errors.js';
import type { DomainDescription } from '../links/domain.js';
import { groupBookKey } from '../groups/group-book-key.js';
import { groupMembersContract } from './group-members-contract.js';
import { inBackground } from '../core/background.js';

export const groupMembersDomain: DomainDescription = {
  name: 'group-members',
  folder: 'group-members',
  builtOn: ['groups'],
  contract: groupMembersContract,
  // The modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [{ Invitations }, { invitationFile }, { groupHistory, registerGroupHistory }, { ownedGroupOf }] =
      await Promise.all([
        import('./invitations.js'),
        import('./invitation-file.js'),
        import('./group-history.js'),
        import('./group-ref.js'),
      ]);
    const book = ctx.use(groupBookKey);
    if (!book) throw new ClawError('INTERNAL', "the groups' members need the groups domain before them");
    const invitations = new Invitations({
      book,
      codes: ctx.codes,
      log: ctx.log,
      changed: () => ctx.notices.changed(),
      backing: invitationFile(ctx.home, (line) => ctx.log.warn(line)),
      audit: ctx.audit,
    });
    const history = {
      home: ctx.home,
      self: { fingerprint: ctx.identity.fingerprint, name: () => ctx.name() },
      book,
      state: ctx.state,
      peers: ctx.peers,
      log: ctx.log,
    };
    registerGroupHistory(ctx.services, history);
    return {
      parts: {
        afterNode: [
          {
            name: 'group invitations',
            // Not awaited: each code waits for the relays to confirm it, and the agent is ready before.
            start: () => inBackground(invitations.restore(), ctx.log, 'restoring the open invitations'),
            stop: () => invitations.stop(),
          },
        ],
      },
      handlers: {
        'groups.invite': (p) => invitations.invite(p.group, p.ttlMs),
        'groups.invitations': (p) => ({ invitations: invitations.list(p.group) }),
        'groups.cancelInvitation': (p) => invitations.cancel(p.code),
        'groups.join': (p) => invitations.join(p.code),
        'groups.history': (p) => groupHistory(history, ownedGroupOf(book, p.group, 'see its history')),
      },
      events: {
        'groups.invitations.changed': (listener) =>
          invitations.events.on('changed', () => listener({ invitations: invitations.list() })),
      },
    };
  },
};
