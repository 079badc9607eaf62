/**
 * The seam between the groups' book (group-book.ts) and the domains built on it: what they read and
 * write, and the key the groups domain provides it under. Types and one key only, so a domain that
 * names the key (group-members-domain.ts) loads none of the book's code, zod included.
 */
import type { Disposer } from '../core/emitter.js';
import { domainKey, type DomainKey } from '../links/domain.js';
import type { GroupRecord } from '../protocol/group-records.js';
import type { GroupDecision } from './group-decisions.js';
import type { GroupsView } from './group-view.js';

/** Per joined group (its id), the inviters the invitation's PAKE confirmed. */
export type JoinedAnchors = ReadonlyMap<string, ReadonlySet<string>>;

/** What the exchange and the invitations domain read and write (group-book.ts keeps it). */
export interface GroupBook {
  /** This node's view (groups/group-view.ts groupsView over the kept records and this node's anchors). */
  view(): GroupsView;
  /** Signs decisions with this node's identity and applies them (owner operations, a member's leave). */
  decide(decisions: GroupDecision[]): Promise<void>;
  /** Records a group this person joined: the inviter as anchor, and the records the inviter sent. */
  join(group: string, inviter: string, records: readonly GroupRecord[]): Promise<void>;
  /** The records a given peer may be sent (per ADR 0089: a member gets the group's and its own). */
  recordsFor(peer: string): GroupRecord[];
  onChange(listener: () => void): Disposer;
}

/** Under this key the groups domain provides its book to the domains after it (invitations). */
export const groupBookKey: DomainKey<GroupBook> = domainKey<GroupBook>('groups.book');
