/**
 * How this node's forwards, proxies and shares are listed (`forward list`, `proxy list`, `share list`,
 * `status`): local runs as they run, then reverse forwards in saved order, each under its exit peer's
 * name now. It reads the runs and the saved records; it changes nothing.
 */
import type { PeerDirectory } from '../links/ports.js';
import type { SavedForwards } from './saved-forwards.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ForwardInfo, ProxyInfo } from './forwards-contract.js';
import { viaName } from './bound-peer.js';
import { localAddress, runStatus } from './forward-run.js';
import type { LocalForwards } from './local-forwards.js';
import { proxyUrl } from './proxy-secret.js';
import type { ReverseForwards } from './reverse-forwards.js';
import { udpStatus } from './udp-status.js';

/** What the listing reads. */
export interface ForwardListingParts {
  readonly local: Pick<LocalForwards, 'withRecords'>;
  readonly reverse?: Pick<ReverseForwards, 'has' | 'info'> | undefined;
  readonly saved: Pick<SavedForwards, 'list'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'>;
}

export class ForwardListing {
  constructor(private readonly parts: ForwardListingParts) {}

  /** `forward list`: the local TCP and UDP forwards, then the reverse ones that are not shares. */
  forwards(): ForwardInfo[] {
    const links = this.parts.links;
    const local: ForwardInfo[] = this.parts.local
      .withRecords()
      .filter(({ record }) => record.kind === 'tcp')
      .map(({ run, record }) => ({
        name: record.name,
        direction: 'local',
        local: localAddress(run, record),
        via: viaName(links, record) ?? '',
        viaFingerprint: record.viaFingerprint ?? null,
        remote: record.remote ?? '',
        ...runStatus(run),
        ...udpStatus(run, record),
      }));
    return local.concat(
      this.reverseEntries()
        .filter(({ record }) => record.share === undefined)
        .map(({ info }) => info),
    );
  }

  /** Shared folders (reverse forwards served by share/, ADR 0052): each saved record and its state. */
  shares(): { record: ForwardRecord; info: ForwardInfo }[] {
    return this.reverseEntries().filter(({ record }) => record.share !== undefined);
  }

  /** `proxy list`: the SOCKS5 and HTTP proxies, with the URL a client takes. */
  proxies(): ProxyInfo[] {
    const links = this.parts.links;
    return this.parts.local
      .withRecords()
      .filter(({ record }) => record.kind !== 'tcp')
      .map(({ run, record }) => {
        const kind = record.kind as 'socks' | 'http';
        const local = localAddress(run, record);
        const via = viaName(links, record);
        return {
          name: record.name,
          kind,
          local,
          via: via ?? null,
          viaFingerprint: record.viaFingerprint ?? null,
          secret: record.secret ?? null,
          url: proxyUrl(kind, local, via, record.secret),
          ...runStatus(run),
        };
      });
  }

  private reverseEntries(): { record: ForwardRecord; info: ForwardInfo }[] {
    const { reverse, links } = this.parts;
    if (!reverse) return [];
    return this.parts.saved
      .list()
      .filter((f) => reverse.has(f.name))
      .map((record) => ({ record, info: reverse.info(record, viaName(links, record) ?? '') }));
  }
}
