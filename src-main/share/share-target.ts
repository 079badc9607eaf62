/**
 * Shares as reverse forwards served here (ADR 0052): the local target forwards/reverse-carrier.ts
 * hands a share's connections to. Each connection is listed (`share`) while it lasts and is one line
 * in the audit log when it ends, saying how many requests it carried (a browser's page and its dozens
 * of requests are one line, not dozens). Every refused request (a 4xx: a path outside the folder, a
 * wrong password, a write) is a `refused` line of its own with its path and status, kept in check
 * like every other refusal a peer's clients can provoke (audit/audit-noise.ts). On the peer, its
 * listener's connection is a `reverse-served` one.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ForwardRecord } from '../forwards/saved-forward-schema.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { ServedConnection } from '../services/services.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { LocalReverseTarget } from '../forwards/reverse-carrier.js';
import { ShareServer, type ShareConfig } from './share-server.js';
import { parseHostPort } from '../core/host-port.js';
import { isLoopbackHost } from '../forwards/listener.js';

/** What the target reads: the saved record of a share by name, at each request (shares are saved as forwards). */
export interface ShareTargetDeps {
  readonly log: Logger;
  readonly state: Pick<NodeStateReader, 'get'>;
  /** Where refused requests are recorded. */
  readonly audit?: Pick<AuditSink, 'record'> | undefined;
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

/** How a share connection ended, for its summary line: `3 requests (1 refused)`. */
export function requestsSummary(requests: number, refused: number): string {
  const n = `${requests} request${requests === 1 ? '' : 's'}`;
  return refused > 0 ? `${n} (${refused} refused)` : n;
}

export function createShareTarget(deps: ShareTargetDeps): LocalReverseTarget {
  const server = new ShareServer(deps.log);
  return {
    kind: 'share',
    describe: (record) => (record.share ? `share ${record.name}` : undefined),
    makeRoom: (record) => server.makeRoom(record.name),
    serve: async (record: ForwardRecord, stream: Duplex, _connection: ServedConnection, count) => {
      let requests = 0;
      let refused = 0;
      const peer =
        record.viaFingerprint !== undefined
          ? { peer: { name: record.via ?? 'peer', fingerprint: record.viaFingerprint } }
          : {};
      await server.serve(
        stream,
        record.name,
        () => shareConfig(deps.state.get().forwards.find((f) => f.name === record.name)),
        {
          received: (n) => count.received(n),
          sent: (n) => count.sent(n),
          answered: ({ method, path, status }) => {
            requests++;
            if (status < 400) return;
            refused++;
            deps.audit?.record({
              kind: 'refused',
              ...peer,
              service: 'share',
              what: `share ${record.name}: ${method} ${path} → ${status}`,
              outcome: status >= 500 ? 'failed' : 'refused',
              reason: `answered ${status}`,
            });
          },
        },
      );
      return requestsSummary(requests, refused);
    },
  };
}
