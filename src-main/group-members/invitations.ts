/**
 * Group invitations (docs/adr/0089-groups.md, slice "Invitation"; DESIGN §18): the owner's device
 * issues a one-time code with a TTL through pairing's rendezvous and PAKE (DomainCodes), single use,
 * listed and cancelled while open. The device that meets it with the code becomes the group's new
 * member's root: the inviter signs the `member` record and sends the group's records (what
 * GroupBook.recordsFor gives that device), sealed (invitation-frames.ts); the joiner keeps them with the
 * inviter, whom the PAKE confirmed, as its `joined` anchor, and says so. Both sides see the other's
 * fingerprint, as with `pair`, to compare.
 *
 * One owner of the invitations' state: this class, the one writer of where they are kept
 * (invitation-file.ts), durably before a change counts. Open invitations outlive the agent: one that
 * starts again opens their codes again for the time they had left (`restore`). A code is marked used
 * as soon as someone tries it, before the PAKE, so a used code stays used across a restart.
 */
import type { Logger } from 'pino';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { isoTime } from '../core/iso-time.js';
import { commandArgs, hereHint } from '../core/hint.js';
import type { DomainCodes, MetCode } from '../links/domain.js';
import { parseCodeOrInvite } from '../protocol/pair-code.js';
import type { GroupRecord } from '../protocol/group-records.js';
import type { AuditInput } from '../audit/audit-events.js';
import type { GroupBook } from '../groups/group-book-key.js';
import type { GroupView } from '../groups/group-view.js';
import { groupOf, ownedGroupOf } from './group-ref.js';
import type { InvitationFrame } from '../protocol/group-invitation-frames.js';
import { InvitationChannel, recordBatches } from './invitation-frames.js';
import { inMemoryInvitations, type InvitationBacking, type KeptInvitation } from './invitation-file.js';
import type { InvitationInfo, JoinResult } from './group-members-contract.js';
import { asInvite, groupLink } from './invitation-link.js';

/** Default lifetime of an invitation, in ms (10 minutes, as a pairing code). */
export const INVITATION_TTL_MS = 10 * 60 * 1000;
/** How long either side waits for the other's next frame after the PAKE, in ms. */
export const INVITATION_STEP_TIMEOUT_MS = 15_000;
/** What an invitation's code is for (IssueOptions.use): `clawbridge group join` takes it. */
export const INVITATION_USE = 'group';
/** Most invitations kept after they ended (used, cancelled, expired), newest first, for the list. */
export const MAX_ENDED_INVITATIONS = 32;

/** What the invitations use of the group book: the seam's reads and writes. */
export type InvitationBook = Pick<GroupBook, 'view' | 'decide' | 'join' | 'recordsFor'>;

export interface InvitationsDeps {
  book: InvitationBook;
  codes: DomainCodes;
  log: Logger;
  /** Says the node changed (status and the window follow). */
  changed(): void;
  now?: () => number;
  /** How long either side waits for the other's next frame (INVITATION_STEP_TIMEOUT_MS). */
  stepTimeoutMs?: number;
  /** Where they are kept between runs (invitation-file.ts); in memory when absent. */
  backing?: InvitationBacking;
  /** Where each one made, used, cancelled or expired is recorded; nowhere when absent. */
  audit?: { record(event: AuditInput): void } | undefined;
}

/** One invitation: open while its code may be met, then how it ended. */
type Invitation = KeptInvitation;

/** What an invitation tried and not met says until the device that met it is known. */
const TRIED = 'its code was tried; no device has joined with it';

export class Invitations {
  /** `changed`: an invitation was made, met, cancelled or expired (the `groups.invitations.changed` event). */
  readonly events = new Emitter<{ changed: [] }>();
  private readonly open = new Map<string, Invitation>();
  private ended: Invitation[] = [];
  private next = 1;
  private readonly now: () => number;
  private readonly step: number;

  private readonly backing: InvitationBacking;

  constructor(private readonly deps: InvitationsDeps) {
    this.now = deps.now ?? Date.now;
    this.step = deps.stepTimeoutMs ?? INVITATION_STEP_TIMEOUT_MS;
    this.backing = deps.backing ?? inMemoryInvitations();
    for (const i of this.backing.load()) {
      if (i.state === 'open') this.open.set(i.id, i);
      else this.ended.push(i);
      this.next = Math.max(this.next, Number(i.id) + 1);
    }
    this.ended = this.ended
      .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
      .slice(0, MAX_ENDED_INVITATIONS);
  }

  /**
   * Opens again the codes of the invitations still open from before this agent started, for the
   * time each had left; one that ran out meanwhile ends as expired. A code that cannot be opened
   * (no relay and no LAN yet) stays listed, and is tried again at the next start.
   */
  async restore(): Promise<void> {
    this.expire();
    for (const invitation of [...this.open.values()]) {
      const left = invitation.expiresAt - this.now();
      try {
        const issued = await this.deps.codes.issue(left, (met) => this.admit(invitation.id, met), {
          again: invitation.code,
          onSpent: () => this.spend(invitation.id),
          use: INVITATION_USE,
        });
        invitation.link = groupLink(issued.invite);
      } catch (err) {
        this.deps.log.warn(
          `group invitation ${invitation.code} to ${invitation.groupName} could not be opened again: ${errorMessage(err)}`,
        );
      }
    }
    this.changed();
  }

  /**
   * A new invitation to `ref` (a group this node's person owns), open for `ttlMs`.
   * @throws ClawError('BAD_ARGUMENT') for a group not owned here; pairing's errors for the code (no
   *   relay and no LAN to meet on, too many codes open)
   */
  async invite(ref: string, ttlMs = INVITATION_TTL_MS): Promise<InvitationInfo> {
    this.expire(); // pairing retired their codes: what this list keeps of them stays bounded
    const group = ownedGroupOf(this.deps.book, ref, 'invite members');
    const id = String(this.next++);
    const issued = await this.deps.codes.issue(ttlMs, (met) => this.admit(id, met), {
      onSpent: () => this.spend(id),
      use: INVITATION_USE,
    });
    const invitation: Invitation = {
      id,
      group: group.id,
      groupName: group.name,
      code: issued.code,
      link: groupLink(issued.invite),
      expiresAt: Date.parse(issued.expiresAt),
      state: 'open',
    };
    this.open.set(id, invitation);
    try {
      this.persist();
    } catch (err) {
      // Not kept, so not given: a code shown and then forgotten by a restart would mislead.
      this.open.delete(id);
      this.deps.codes.retire(invitation.code);
      throw err;
    }
    this.changed();
    this.record(invitation, 'made', 'ok', `open until ${isoTime(invitation.expiresAt)}`);
    return infoOf(invitation);
  }

  /** Open invitations, then the last ones that ended; of one group when `ref` is given. */
  list(ref?: string): InvitationInfo[] {
    this.expire();
    const group = ref === undefined ? undefined : groupOf(this.deps.book, ref).id;
    return [...[...this.open.values()].reverse(), ...this.ended]
      .filter((i) => group === undefined || i.group === group)
      .map(infoOf);
  }

  /**
   * Cancels an open invitation, by its code, link or id: nobody can join with it after.
   * @throws ClawError('BAD_ARGUMENT') when it is not open here (used, expired, cancelled or unknown)
   */
  cancel(ref: string): InvitationInfo {
    this.expire();
    const invitation = this.open.get(ref) ?? this.byCode(ref);
    if (!invitation)
      throw new ClawError(
        'BAD_ARGUMENT',
        ...commandArgs(
          `${ref} is not an open invitation of this node (used, expired or cancelled; see `,
          hereHint(['group', 'invitations']),
          ')',
        ),
      );
    this.deps.codes.retire(invitation.code);
    this.end(invitation, 'cancelled');
    return infoOf(invitation);
  }

  /** Stops meeting the open invitations' codes (the agent is stopping): kept open for the next start. */
  stop(): void {
    for (const invitation of this.open.values()) this.deps.codes.retire(invitation.code);
  }

  private changed(): void {
    try {
      this.persist();
    } catch (err) {
      this.deps.log.warn(`group invitations not saved: ${errorMessage(err)}`);
    }
    this.deps.changed();
    this.events.emit('changed');
  }

  /** Saves every invitation, open first. @throws the file system's error */
  private persist(): void {
    this.backing.save([...this.open.values(), ...this.ended]);
  }

  /** Someone tried invitation `id`'s code (pairing burnt it): used, whatever follows. */
  private spend(id: string): void {
    const invitation = this.open.get(id);
    if (!invitation) return;
    invitation.problem = TRIED;
    this.end(invitation, 'used');
  }

  private byCode(ref: string): Invitation | undefined {
    let code: string;
    try {
      code = parseCodeOrInvite(asInvite(ref)).code.text;
    } catch {
      return undefined;
    }
    return [...this.open.values()].find((i) => i.code === code);
  }

  /** Open invitations past their TTL end as expired (pairing retired their codes then). */
  private expire(): void {
    const now = this.now();
    for (const invitation of [...this.open.values()])
      if (invitation.expiresAt <= now) this.end(invitation, 'expired', invitation.expiresAt);
  }

  private end(invitation: Invitation, state: InvitationInfo['state'], at = this.now()): void {
    this.open.delete(invitation.id);
    invitation.state = state;
    invitation.endedAt = at;
    this.ended = [invitation, ...this.ended].slice(0, MAX_ENDED_INVITATIONS);
    this.changed();
    // A used one is recorded once its device is known (admit), or when no device came of it (spend).
    if (state === 'cancelled' || state === 'expired') this.record(invitation, state, 'ok');
  }

  /** One `invitation` line of the audit log (never its code: only its id). */
  private record(
    invitation: Invitation,
    change: 'made' | 'used' | 'cancelled' | 'expired',
    outcome: 'ok' | 'failed',
    reason?: string,
  ): void {
    this.deps.audit?.record({
      kind: 'invitation',
      change,
      group: invitation.groupName,
      ...(invitation.by ? { peer: { ...invitation.by } } : {}),
      what: `invitation ${invitation.id} to group ${invitation.groupName}`,
      outcome,
      ...(reason ? { reason } : {}),
    });
  }

  /** The inviter's side once a device met invitation `id`'s code: it becomes the group's member. */
  private async admit(id: string, met: MetCode): Promise<void> {
    // Spent as it was tried (`spend`), and met now by the device that knew its secret.
    const invitation =
      this.open.get(id) ?? this.ended.find((i) => i.id === id && i.state === 'used' && i.by === undefined);
    const channel = new InvitationChannel(met.sessionKey, 'inviter');
    const by = { name: met.peer.name, fingerprint: met.peer.fingerprint };
    if (!invitation) return void met.send(channel.seal({ t: 'refused', reason: 'invitation cancelled' }));
    // The code is used up whatever follows (pairing retired it): one try per code.
    invitation.by = by;
    delete invitation.problem;
    if (invitation.state === 'open') this.end(invitation, 'used');
    else this.changed();
    try {
      channel.open(await met.next(this.step, 'a group join'), 'a group join');
      const group = this.stillOwned(invitation.group);
      if (
        group.devices.some((d) => d.fingerprint === by.fingerprint) ||
        group.owners.some((d) => d.fingerprint === by.fingerprint)
      )
        throw new ClawError('BAD_ARGUMENT', `${by.name} is one of the group's own devices, not a member's`);
      await this.deps.book.decide([
        { kind: 'member', group: group.id, subject: by.fingerprint, name: by.name },
      ]);
      const records = this.deps.book.recordsFor(by.fingerprint).filter((r) => r.group === group.id);
      met.send(channel.seal({ t: 'group', group: group.id, name: group.name, records: records.length }));
      for (const batch of recordBatches(records)) met.send(channel.seal({ t: 'records', records: batch }));
      const answer = channel.open(await met.next(this.step, 'the joiner’s answer'), 'the joiner’s answer');
      if (answer.t === 'refused') invitation.problem = `${by.name} refused the group: ${answer.reason}`;
      this.deps.log.info(
        { group: group.id, member: by.fingerprint },
        `${by.name} joined group ${group.name} with an invitation`,
      );
    } catch (err) {
      invitation.problem = errorMessage(err);
      if (!isClawError(err, 'LINK_CLOSED'))
        met.send(channel.seal({ t: 'refused', reason: errorMessage(err).slice(0, 300) }));
    } finally {
      this.changed();
      const failed = invitation.problem !== undefined;
      this.record(invitation, 'used', failed ? 'failed' : 'ok', invitation.problem ?? `${by.name} joined`);
    }
  }

  /** The group, as the invitation was made, still this person's and not deleted. */
  private stillOwned(id: string): GroupView {
    const group = this.deps.book.view().groups.find((g) => g.id === id);
    if (!group || group.deleted || group.role !== 'owner')
      throw new ClawError('BAD_ARGUMENT', 'the group was deleted since the invitation was made');
    return group;
  }

  /**
   * The joiner's side: meets the code's issuer, takes the group's records and keeps them with the
   * inviter as this person's anchor in that group.
   * @throws ClawError('BAD_PAIR_CODE' | 'BAD_INVITE') for a code that is none or no one holds;
   *   ClawError('PAIRING_FAILED') when the PAKE or what follows fails or the inviter refused
   */
  async join(text: string): Promise<JoinResult> {
    const invite = asInvite(text);
    parseCodeOrInvite(invite); // a malformed code is refused before anything is looked for
    const met = await this.deps.codes.meet(invite, INVITATION_USE);
    const channel = new InvitationChannel(met.sessionKey, 'joiner');
    const inviter = { name: met.peer.name, fingerprint: met.peer.fingerprint };
    try {
      met.send(channel.seal({ t: 'join' }));
      const header = await this.frame(met, channel, inviter.name);
      if (header.t !== 'group') throw unexpected(inviter.name);
      const records: unknown[] = [];
      while (records.length < header.records) {
        const batch = await this.frame(met, channel, inviter.name);
        if (batch.t !== 'records' || records.length + batch.records.length > header.records)
          throw unexpected(inviter.name);
        records.push(...batch.records);
      }
      this.checkNewAnchor(header.group, inviter);
      await this.deps.book.join(header.group, inviter.fingerprint, records as GroupRecord[]);
      const group = this.deps.book.view().groups.find((g) => g.id === header.group);
      if (group?.role !== 'member' || group.deleted)
        throw new ClawError(
          'PAIRING_FAILED',
          `the records ${inviter.name} sent do not make this device a member`,
        );
      met.send(channel.seal({ t: 'joined' }));
      return {
        group: { id: group.id, name: group.name },
        inviter,
        via: met.via,
        devices: group.devices.map((d) => ({ name: d.name, fingerprint: d.fingerprint })),
      };
    } catch (err) {
      // The inviter learns why no member came of its code (it refused itself: it knows).
      if (!(err instanceof InviterRefused) && !isClawError(err, 'LINK_CLOSED'))
        met.send(channel.seal({ t: 'refused', reason: errorMessage(err).slice(0, 300) }));
      throw err;
    } finally {
      met.close('done');
    }
  }

  /**
   * An inviter becomes an anchor of its group here, whose records then count: in a group this person
   * already knows, only one of the owner devices it trusts there may invite again. Anyone else could
   * name the id of a group the member belongs to and take it over on the member's devices.
   * @throws ClawError('PAIRING_FAILED') otherwise
   */
  private checkNewAnchor(group: string, inviter: { name: string; fingerprint: string }): void {
    const known = this.deps.book.view().groups.find((g) => g.id === group);
    if (!known) return;
    if (known.role === 'owner')
      throw new ClawError(
        'PAIRING_FAILED',
        `group ${known.name} is your own: this device cannot be its member`,
      );
    if (known.deleted)
      throw new ClawError('PAIRING_FAILED', `group ${known.name} was deleted: it cannot be joined again`);
    if (!known.owners.some((o) => o.fingerprint === inviter.fingerprint))
      throw new ClawError(
        'PAIRING_FAILED',
        `this device already belongs to group ${known.name}, and ${inviter.name} is not one of its owner's devices: refused`,
      );
  }

  /** The inviter's next frame; its refusal as an error. */
  private async frame(met: MetCode, channel: InvitationChannel, inviter: string): Promise<InvitationFrame> {
    let bytes: Uint8Array;
    try {
      bytes = await met.next(this.step, `the group from ${inviter}`);
    } catch (err) {
      // An issuer that met the code and then sends nothing is no inviter of this release (which
      // refuses a pairing code's hello for a group before it spends it: pairing-wire.ts): the code
      // is used up, so no command with it can follow.
      if (isClawError(err, 'TIMEOUT'))
        throw new ClawError(
          'PAIRING_FAILED',
          `${inviter} accepted the code but sent no group, and the code is used up: ask the group's owner for a new invitation`,
        );
      throw err;
    }
    const frame = channel.open(bytes, `the group from ${inviter}`);
    if (frame.t === 'refused')
      throw new InviterRefused(`${inviter} did not let this device join: ${frame.reason}`);
    return frame;
  }
}

/** The inviter's own refusal: it is not told back. */
class InviterRefused extends ClawError {
  constructor(message: string) {
    super('PAIRING_FAILED', message);
  }
}

const unexpected = (inviter: string) =>
  new ClawError('PAIRING_FAILED', `${inviter} sent the group out of order — update both nodes`);

function infoOf(i: Invitation): InvitationInfo {
  return {
    id: i.id,
    group: { id: i.group, name: i.groupName },
    code: i.code,
    link: i.link,
    expiresAt: isoTime(i.expiresAt),
    state: i.state,
    ...(i.by ? { by: { ...i.by, short: abbreviateFingerprint(i.by.fingerprint) } } : {}),
    ...(i.endedAt !== undefined ? { endedAt: isoTime(i.endedAt) } : {}),
    ...(i.problem ? { problem: i.problem } : {}),
  };
}
