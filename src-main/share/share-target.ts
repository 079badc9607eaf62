/**
 * Shares as reverse forwards served here (ADR 0052): the local target forwards/reverse-forwards.ts
 * hands a share's connections to. Each connection is listed (`share`) while it lasts, and each
 * download on it is a connection of its own under it, so `connections` shows what is being
 * downloaded and the audit log records every download (what, bytes, duration) beside the
 * connection's summary; on the peer, its listener's connection is a `reverse-served` one.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ForwardRecord } from '../state/settings.js';
import type { ServedConnection } from '../services/services.js';
import type { LocalReverseTarget } from '../forwards/reverse-forwards.js';
import { ShareServer, type ShareConfig } from './share-server.js';
import { parseHostPort } from '../core/host-port.js';
import { isLoopbackHost } from '../forwards/listener.js';

/** What the target reads: the saved record of a share by name, at each request. */
export interface ShareTargetDeps {
  readonly log: Logger;
  readonly state: { forward(name: string): ForwardRecord | undefined };
}

/** The share a saved record describes, or undefined when it is none (or is gone). */
export function shareConfig(record: ForwardRecord | undefined): ShareConfig | undefined {
  if (!record?.share || record.enabled === false) return undefined;
  return {
    name: record.name,
    dir: record.share.dir,
    dotfiles: record.share.dotfiles,
    passwordHash: record.share.passwordHash,
    loopbackOnly: isLoopbackHost(parseHostPort(record.listen, '127.0.0.1').host),
  };
}

export function createShareTarget(deps: ShareTargetDeps): LocalReverseTarget {
  const server = new ShareServer(deps.log);
  return {
    kind: 'share',
    describe: (record) => (record.share ? `share ${record.name}` : undefined),
    serve: (record: ForwardRecord, stream: Duplex, connection: ServedConnection, count) => {
      const from = `${record.via ?? 'peer'} ${record.listen}`;
      return server.serve(stream, () => shareConfig(deps.state.forward(record.name)), {
        received: (n) => count.received(n),
        sent: (n) => count.sent(n),
        download: (path) => {
          const child = connection.child({ kind: 'share', from, to: `share ${record.name} ${path}` });
          return {
            sent: (n) => child.bytesIn(n),
            end: (outcome) => child.end(outcome === 'ok' ? undefined : 'the download stopped before its end'),
          };
        },
      });
    },
  };
}
