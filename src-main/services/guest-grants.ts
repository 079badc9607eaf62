/**
 * The registry's view of its guests (admission.ts: nodes a domain lets in without a pairing, such as
 * a member's devices on a group's device): the one GuestList the links and the API read, and the
 * questions the registry asks of a stream's peer that are a guest's to answer — its record when no
 * peer's is saved, the services it is held to (a removed member's device: the news of its removal
 * alone), and the groups its connections are listed and audited under. A saved peer is never a
 * guest: each answer is for a node with no peer record here.
 */
import type { Disposer } from '../core/emitter.js';
import type { PeerRecord } from '../state/settings.js';
import { GuestList, guestGroups, type GuestSource } from './admission.js';

export class GuestGrants {
  /** Every guest now, read by the links (an entry each) and the API (`peers`, `status`). */
  readonly list: GuestList;

  /** `peer`: the saved record of a node, undefined for one that is no peer. */
  constructor(private readonly peer: (fingerprint: string) => PeerRecord | undefined) {
    this.list = new GuestList((fp) => peer(fp) !== undefined);
  }

  /** Lets in the guests `source` gives (a domain's hook; the registry names no domain). */
  admit(source: GuestSource): Disposer {
    return this.list.add(source);
  }

  /** Some guest's access changed: what they hold is checked again. */
  onChange(listener: () => void): Disposer {
    return this.list.onChange(listener);
  }

  /** The record a stream of `fingerprint` is checked against: its peer's, else its guest's. */
  record(fingerprint: string): PeerRecord | undefined {
    return this.peer(fingerprint) ?? this.list.record(fingerprint);
  }

  /** Why `fingerprint` may not open `service` whatever its words (undefined: it may, or it is a peer). */
  serviceRefused(fingerprint: string, service: string): string | undefined {
    if (this.peer(fingerprint)) return undefined;
    return this.list.serviceRefused(fingerprint, service);
  }

  /**
   * Why a guest's access here ended, for people (`removed from group lab`), when it is now let in only
   * for other services than `service` (a removed member's device, for the news alone); undefined
   * otherwise, and for a peer.
   */
  accessEnded(fingerprint: string, service: string): string | undefined {
    if (this.peer(fingerprint)) return undefined;
    const guest = this.list.get(fingerprint);
    if (guest?.services === undefined || guest.services.includes(service)) return undefined;
    return guest.because.join(', ');
  }

  /** The groups that let a guest in, for a connection's listing and its audit lines. */
  groupOf(fingerprint: string): { group?: string } {
    if (this.peer(fingerprint)) return {};
    const guest = this.list.get(fingerprint);
    const groups = guest ? guestGroups(guest) : [];
    return groups.length > 0 ? { group: groups.join(', ') } : {};
  }

  /**
   * The command that lets `peer` open what needs `word` here, as this node's owner runs it (`clawbridge`
   * left out): a peer's own grant, or a guest's group's, with the whole list it would come to (a
   * group's devices refuse a peer command for a guest: it is no peer there).
   */
  grantCommand(
    peer: { fingerprint: string; name: string; allow: readonly string[] },
    word: string,
  ): string[] {
    const guest = this.peer(peer.fingerprint) ? undefined : this.list.get(peer.fingerprint);
    const groups = guest ? guestGroups(guest) : [];
    if (groups.length === 0) return ['peers', 'allow', peer.name, word];
    // Its words are its groups' together: the list one group would come to is known only for one.
    const words = groups.length === 1 ? [...new Set([...peer.allow, word])].join(',') : 'LIST';
    return ['group', 'allow', groups[0]!, words];
  }
}
