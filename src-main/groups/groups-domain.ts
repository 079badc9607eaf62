/**
 * The groups domain as the composition root lists it (links/domain.ts, app/domains.ts; ADR 0089, ADR
 * 0092): a named set of the owner's devices shared with other people. It holds the group records this
 * node keeps (group-book.ts: groups.json in the home, provided to the domains after it under
 * `groupBookKey`, group-book-key.ts), the `groups` exchange between the devices concerned (group-exchange-service.ts),
 * the owner's bookkeeping that follows "my devices" (group-owners.ts), admission of a member's
 * devices to the group's devices (group-admission.ts, through the registry's hook) and of a removed
 * one for the news alone (group-exits.ts), the audit lines of each change that takes effect here
 * (group-audit.ts), and the `groups.*` methods (groups-api.ts).
 */
import { ClawError } from '../core/errors.js';
import { PERMISSION_WORD, type Permission } from '../core/permissions.js';
import type { DomainDescription } from '../links/domain.js';
import { groupBookKey } from './group-book-key.js';
import { groupsContract } from './groups-contract.js';

export const groupsDomain: DomainDescription = {
  name: 'groups',
  folder: 'groups',
  window: 'groups',
  contract: groupsContract,
  // The modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const { FileGroupBook, groupBookFile } = await import('./group-book.js');
    const { groupsApi, groupInfos } = await import('./groups-api.js');
    const { GroupExchanges } = await import('./group-exchange-service.js');
    const { GroupGuests } = await import('./group-admission.js');
    const { GroupExits } = await import('./group-exits.js');
    const { groupExitsFile } = await import('./group-exits-file.js');
    const { GroupOwners } = await import('./group-owners.js');
    const { auditGroups } = await import('./group-audit.js');
    const { keyPem, certDer } = ctx.identity;
    if (keyPem === undefined || certDer === undefined)
      throw new ClawError(
        'INTERNAL',
        'the groups domain signs records: its host must give it the identity key',
      );
    const identity = { fingerprint: ctx.identity.fingerprint, keyPem, certDer };
    const entryOf = (fp: string) => ctx.peers.peerEntry(fp);
    // Mine on both sides (ADR 0056): a one-sided mark is not the owner's device yet.
    const minePeers = () =>
      ctx.state.peers().filter((p) => p.mine === true && entryOf(p.fingerprint)?.theyMarkMine !== false);
    const book = new FileGroupBook({
      backing: groupBookFile(ctx.home, (line) => ctx.log.warn(line)),
      identity,
      mine: () => minePeers().map((p) => p.fingerprint),
    });
    ctx.provide(groupBookKey, book);
    const exits = new GroupExits({
      view: () => book.view(),
      records: () => book.records(),
      anchors: () => book.anchors(),
      backing: groupExitsFile(ctx.home, (line) => ctx.log.warn(line)),
    });
    const exchanges = new GroupExchanges({
      book,
      exits,
      services: ctx.services,
      peers: ctx.peers,
      log: ctx.log,
    });
    const guests = new GroupGuests({
      book,
      exits,
      knows: (word): word is Permission => PERMISSION_WORD.test(word),
      hints: (fp) => exchanges.hintsFor(fp),
      homeRelay: (fp) => exchanges.relayHintFor(fp),
      onHints: (listener) => exchanges.events.on('hints', listener),
      onExchanged: (listener) => exchanges.events.on('exchanged', listener),
    });
    const owners = new GroupOwners({
      book,
      mine: () =>
        new Map([
          [identity.fingerprint, ctx.name()],
          ...minePeers().map((p): [string, string] => [p.fingerprint, p.name]),
        ]),
      log: ctx.log,
    });
    const apiDeps = {
      book,
      self: { fingerprint: identity.fingerprint, name: () => ctx.name() },
      peerEntries: () => ctx.peers.peerEntries(),
      peerEntry: entryOf,
    };
    let offGuests: (() => void) | undefined;
    // From the book's first change on: what it holds at the start was recorded when it came.
    const audit = ctx.audit;
    const offAudit = audit
      ? auditGroups(book, audit, (fp) =>
          fp === identity.fingerprint ? ctx.name() : ctx.state.peer(fp)?.name,
        )
      : () => undefined;
    const follow: (() => void)[] = [];
    return {
      parts: {
        // Before the links: a member's device that links at once finds its access (or its refusal).
        beforeNode: [
          {
            name: 'group admission',
            start: () => {
              guests.start();
              offGuests = ctx.services.admitGuests(guests);
            },
            stop: () => {
              offGuests?.();
              guests.stop();
              exits.stop();
              offAudit();
            },
          },
        ],
        afterNode: [
          {
            name: 'group exchanges',
            start: () => {
              exchanges.start();
              follow.push(
                // The status event carries the groups: a change of them is a change of the node.
                book.onChange(() => ctx.notices.changed()),
                ctx.state.subscribe((change) => {
                  if (change.kind === 'peer') owners.check();
                }),
                ctx.peers.onChanged(() => owners.check()),
                book.onChange(() => owners.check()),
              );
              owners.check();
            },
            stop: () => {
              for (const off of follow.splice(0)) off();
              exchanges.stop();
            },
          },
        ],
      },
      handlers: groupsApi(apiDeps),
      status: { snapshot: () => ({ groups: groupInfos(apiDeps) }) },
      events: {
        'groups.changed': (listener) =>
          book.onChange(() => {
            listener({ groups: groupInfos(apiDeps) });
          }),
      },
    };
  },
};
