/**
 * The API's share domain (`share.add`, `share.list`, `share.remove`; share/share-contract.ts, ADR 0052):
 * a share is saved as a reverse forward whose connections this node's file server answers, so it is
 * asked of its peer, retried, saved and brought back after a restart exactly as reverse forwards are
 * (forwards/reverse-forwards.ts); what is its own is the folder, the dot-file switch and the password.
 */
import { isAbsolute } from 'node:path';
import { stat } from 'node:fs/promises';
import { resolvePeer } from '../links/resolve-peer.js';
import type { PeerDirectory } from '../links/ports.js';
import type { ForwardRecord } from '../forwards/saved-forward-schema.js';
import type { MethodParams } from '../api/contract.js';
import type { ShareInfo, ShareMethodResults } from './share-contract.js';
import { ClawError } from '../core/errors.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import type { ForwardManager } from '../forwards/forward-manager.js';
import { DEFAULT_LISTEN_HOST } from '../forwards/forward-api.js';
import { hashSharePassword } from './share-password.js';

export interface ShareApiDeps {
  /** The running forward manager (shares are reverse forwards), or undefined once forwarding stopped. */
  forwards: () => ForwardManager | undefined;
  peers: Pick<PeerDirectory, 'peerEntries' | 'self'>;
}

type Handlers = {
  [M in keyof ShareMethodResults]: (
    p: MethodParams<M>,
  ) => ShareMethodResults[M] | Promise<ShareMethodResults[M]>;
};

/** The URL people are given: the bound address, or one the peer announced when it listens on all. */
export function shareUrl(listen: string, announced: readonly string[] | undefined): string {
  const { host, port } = parseHostPort(listen, DEFAULT_LISTEN_HOST);
  let reach = host;
  if (host === '0.0.0.0' || host === '::') {
    const first = announced?.[0];
    reach = first !== undefined ? parseHostPort(first).host : host;
  }
  return `http://${formatHostPort(reach, port)}/`;
}

export function shareHandlers(deps: ShareApiDeps): Handlers {
  const manager = (): ForwardManager => {
    const f = deps.forwards();
    if (!f) throw new ClawError('INTERNAL', 'forwarding is not running in this agent; restart the agent');
    return f;
  };
  const infos = (): ShareInfo[] => {
    const entries = deps.peers.peerEntries();
    return manager()
      .shares()
      .map(({ record, info }) => {
        const peer = entries.find((e) => e.fingerprint === record.viaFingerprint);
        return {
          name: record.name,
          dir: record.share!.dir,
          via: info.via,
          viaFingerprint: info.viaFingerprint,
          listen: info.remote,
          url: shareUrl(info.remote, peer?.announcedAddresses),
          state: info.state,
          ...(info.error !== undefined ? { error: info.error } : {}),
          ...(info.retryAt !== undefined ? { retryAt: info.retryAt } : {}),
          dotfiles: record.share!.dotfiles,
          password: record.share!.passwordHash !== undefined,
          open: info.open,
          connections: info.connections,
          // The run counts as a reverse forward's: in, from the peer's clients; out, the answers.
          bytesSent: info.bytesOut,
          bytesReceived: info.bytesIn,
        };
      });
  };
  return {
    'share.add': async (p) => {
      const f = manager();
      if (!isAbsolute(p.dir)) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `'${p.dir}' is not an absolute path; give the folder's full path`,
        );
      }
      let isDir = false;
      try {
        isDir = (await stat(p.dir)).isDirectory();
      } catch {
        throw new ClawError('BAD_ARGUMENT', `cannot share ${p.dir}: no such folder here`);
      }
      if (!isDir)
        throw new ClawError(
          'BAD_ARGUMENT',
          `cannot share ${p.dir}: not a folder (share a folder that holds it)`,
        );
      const listen = parseHostPort(p.listen, DEFAULT_LISTEN_HOST);
      if (listen.port === 0) {
        throw new ClawError('BAD_ARGUMENT', `--listen '${p.listen}': the port must be from 1 to 65535`);
      }
      const { record: peer } = resolvePeer(deps.peers, p.via);
      const taken = f.names();
      let name = p.name ?? `share-${listen.port}`;
      for (let i = 2; p.name === undefined && taken.has(name); i++) name = `share-${listen.port}-${i}`;
      const record: ForwardRecord = {
        name,
        kind: 'tcp',
        direction: 'reverse',
        listen: formatHostPort(listen.host, listen.port),
        via: peer.name,
        viaFingerprint: peer.fingerprint,
        enabled: true,
        share: {
          dir: p.dir,
          dotfiles: p.dotfiles ?? false,
          ...(p.password !== undefined ? { passwordHash: await hashSharePassword(p.password) } : {}),
        },
      };
      await f.add(record);
      return infos().find((s) => s.name === name)!;
    },
    'share.list': () => infos(),
    'share.remove': async (p) => {
      const f = manager();
      if (!f.shares().some(({ record }) => record.name === p.name)) {
        throw new ClawError('BAD_ARGUMENT', `no share named '${p.name}'; \`share list\` shows them`);
      }
      await f.remove(p.name, ['tcp']);
      return { name: p.name };
    },
  };
}
