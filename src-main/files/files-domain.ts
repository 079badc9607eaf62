/**
 * The files domain as the composition root lists it (links/domain.ts, app/domains.ts): the `files`
 * service registered at once, its store opened and saved transfers resumed before the node starts
 * (file-service.ts); the `files.*` methods and the `file.transfer` and `file.received` events
 * (files-api.ts).
 */
import type { DomainDescription } from '../links/domain.js';
import { createFiles } from './file-service.js';
import { fileEventSources, fileHandlers } from './files-api.js';

export const filesDomain: DomainDescription = {
  name: 'files',
  create: (ctx) => {
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
