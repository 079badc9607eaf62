/**
 * LAN discovery over mDNS / DNS-SD (bonjour-service): every node with a LAN-reachable direct listener
 * announces `_clawbridge._tcp` with its fingerprint and the tags of the pairing codes it has open.
 * Peers learn each other's addresses from it; a joiner with no relay in common finds an issuer by tag.
 * Announcements are unauthenticated hints: every connection is still pinned by fingerprint or PAKE.
 */
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import type { Logger } from 'pino';
import { formatHostPort } from '../core/host-port.js';
import { isValidNodeName, receivedNodeName } from '../core/names.js';

/** DNS-SD service type (`_clawbridge._tcp`). */
export const LAN_SERVICE_TYPE = 'clawbridge';
/** TXT record schema version. */
const TXT_VERSION = '1';

export interface LanPeerSighting {
  fingerprint: string;
  name: string;
  /** `host:port` candidates, IPv4 first. */
  addresses: string[];
  tags: string[];
}

export interface LanDiscoveryOptions {
  name: string;
  fingerprint: string;
  port: number;
  log: Logger;
  onSighting(s: LanPeerSighting): void;
}

function sightingOf(service: Service): LanPeerSighting | undefined {
  const txt = (service.txt ?? {}) as Record<string, unknown>;
  const fp = typeof txt.fp === 'string' ? txt.fp : '';
  if (txt.v !== TXT_VERSION || !/^[0-9a-f]{64}$/.test(fp)) return undefined;
  const tags =
    typeof txt.tags === 'string' && txt.tags
      ? txt.tags.split(',').filter((t) => /^[0-9A-Z]{4}$/.test(t))
      : [];
  const addrs = (service.addresses ?? []).filter((a) => !a.toLowerCase().startsWith('fe80'));
  addrs.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
  return {
    fingerprint: fp,
    // Announced by anyone on the LAN: only a valid node name is kept (core/names.ts).
    name:
      typeof txt.name === 'string' && isValidNodeName(txt.name)
        ? receivedNodeName(txt.name, fp.slice(0, 8))
        : fp.slice(0, 8),
    addresses: addrs.map((a) => formatHostPort(a, service.port)),
    tags,
  };
}

export class LanDiscovery {
  private readonly bonjour: Bonjour;
  private service: Service | undefined;
  private readonly browser: Browser;
  private tags: string[] = [];

  constructor(private readonly opts: LanDiscoveryOptions) {
    this.bonjour = new Bonjour({}, (err: Error) => opts.log.info(`mDNS: ${err.message}`));
    this.browser = this.bonjour.find({ type: LAN_SERVICE_TYPE }, (s) => this.seen(s));
    this.browser.on('txt-update', (s) => this.seen(s));
    this.publish();
  }

  /** Re-announces with the tags of the codes open now (bonjour-service cannot update TXT in place). */
  setTags(tags: string[]): void {
    this.tags = tags;
    this.publish();
  }

  /** Services seen so far whose TXT lists `tag`. */
  withTag(tag: string): LanPeerSighting[] {
    this.browser.update();
    return this.browser.services
      .map(sightingOf)
      .filter(
        (s): s is LanPeerSighting => !!s && s.tags.includes(tag) && s.fingerprint !== this.opts.fingerprint,
      );
  }

  stop(): void {
    this.service?.stop?.();
    this.browser.stop();
    this.bonjour.destroy();
  }

  private publish(): void {
    const old = this.service;
    const start = () => {
      this.service = this.bonjour.publish({
        name: `clawbridge-${this.opts.fingerprint.slice(0, 12)}`,
        type: LAN_SERVICE_TYPE,
        port: this.opts.port,
        probe: false,
        txt: { v: TXT_VERSION, fp: this.opts.fingerprint, name: this.opts.name, tags: this.tags.join(',') },
      });
    };
    if (old) (old.stop as (cb: () => void) => void)(start);
    else start();
  }

  private seen(service: Service): void {
    const s = sightingOf(service);
    if (s && s.fingerprint !== this.opts.fingerprint) this.opts.onSighting(s);
  }
}
