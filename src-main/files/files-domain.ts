/**
 * The files domain as the composition root lists it (links/domain.ts, app/domains.ts): the `files`
 * service registered at once, its store opened and saved transfers resumed before the node starts
 * (file-service.ts); the `files.*` methods and the `file.transfer` and `file.received` events
 * (files-api.ts).
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
    const [{ createFiles }, { fileEventSources, fileHandlers }] = await Promise.all([
      import('./file-service.js'),
      import('./files-api.js'),
    ]);
    const files = createFiles({
      home: ctx.home,
      log: ctx.log,
      services: ctx.services,
      peers: ctx.peers,
      connections: ctx.connections,
    });
    const events = fileEventSources({ files });
    return {
      parts: { beforeNode: [files.part] },
      handlers: fileHandlers({ files, peers: ctx.peers }),
      events: {
        'file.transfer': (listener) => events.onFileTransfer(listener),
        'file.received': (listener) => events.onFileReceived(listener),
      },
    };
  },
};
