/**
 * The files domain as the composition root lists it (links/domain.ts, app/domains.ts): the `files`
 * service registered at once, its store opened and saved transfers resumed before the node starts
 * (file-service.ts); the `files.*` methods and the `file.transfer` and `file.received` events
 * (files-api.ts); offers made with a code to someone who is no peer (code-offers.ts, ADR 0124), and
 * receives with a code for `file receive` (code-receives.ts, ADR 0125).
 */
import type { DomainDescription } from '../links/domain.js';
import { filesContract } from './files-contract.js';

export const filesDomain: DomainDescription = {
  name: 'files',
  folder: 'files',
  window: 'files',
  contract: filesContract,
  // The service's modules load when an agent creates the domain, not when a client reads the list.
  create: async (ctx) => {
    const [
      { createFiles },
      { fileEventSources, fileHandlers },
      { CodeOffers },
      { codeOfferHandlers, onCodeOffer },
      { CodeReceives },
      { codeReceiveHandlers, onCodeReceive },
    ] = await Promise.all([
      import('./file-service.js'),
      import('./files-api.js'),
      import('./code-offers.js'),
      import('./code-offers-api.js'),
      import('./code-receives.js'),
      import('./code-receives-api.js'),
    ]);
    const files = createFiles({
      home: ctx.home,
      log: ctx.log,
      services: ctx.services,
      peers: ctx.peers,
      connections: ctx.connections,
    });
    // Offers made with a code (ADR 0124): their receivers are guests for one transfer, sent to as peers.
    const offers = new CodeOffers({
      codes: ctx.codes,
      guests: ctx.services,
      sender: files.sender,
      peers: ctx.peers,
      log: ctx.log,
      ...(ctx.directAddresses ? { directAddresses: ctx.directAddresses } : {}),
    });
    // Receives with a code for `file receive` (ADR 0125): the receiver's modules load on the first one.
    const receives = new CodeReceives({
      receive: async (opts) => (await import('./code-receiver.js')).receiveWithCode(opts),
      log: ctx.log,
      // An agent with no direct listener (direct links off here) makes none for a code either.
      direct: () => (ctx.directAddresses?.() ?? []).length > 0,
    });
    const events = fileEventSources({ files });
    return {
      parts: {
        beforeNode: [files.part],
        afterNode: [
          { name: 'file offers', stop: () => offers.stop() },
          { name: 'file receives with a code', stop: () => receives.stop() },
        ],
      },
      handlers: {
        ...fileHandlers({ files, peers: ctx.peers }),
        ...codeOfferHandlers(offers),
        ...codeReceiveHandlers(receives),
      },
      events: {
        'file.transfer': (listener) => events.onFileTransfer(listener),
        'file.received': (listener) => events.onFileReceived(listener),
        'file.codeOffer': (listener) => onCodeOffer(offers, listener),
        'file.codeReceive': (listener) => onCodeReceive(receives, listener),
      },
    };
  },
};
