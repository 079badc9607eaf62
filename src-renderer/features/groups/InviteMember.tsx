import { useEffect, useState } from 'react';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import { useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { CopyButton } from '../../components/CopyButton.js';
import { QrCode } from '../../components/QrCode.js';
import { ErrorText } from '../../components/ErrorText.js';
import { useAction } from '../../lib/use-action.js';
import { invitationsAt, lostInvitation, nextExpiry } from './invitations-now.js';

/** How long a new invitation's code may be met: the choices offered, in minutes. */
const TTL_MINUTES = [10, 60, 24 * 60] as const;
const ttlText = (m: number) => (m < 60 ? `${m} minutes` : m === 60 ? '1 hour' : '24 hours');

/**
 * Invites a member to a group the owner holds: a one-time code and its link to hand over, with Copy
 * buttons and when it expires; then the group's open invitations, each with Cancel.
 */
export function InviteMember({
  group,
  invitations,
}: {
  group: { id: string; name: string };
  invitations: InvitationInfo[];
}) {
  const { client, toasts } = useServices();
  const [ttl, setTtl] = useState<number>(TTL_MINUTES[0]);
  const [made, setMade] = useState<InvitationInfo | null>(null);
  const invite = useAction();
  const cancel = useAction();
  // Re-rendered when the next open invitation expires: the agent says so only when next asked.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const at = nextExpiry(invitations, now);
    if (at === null) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, at - Date.now()));
    return () => clearTimeout(timer);
  }, [invitations, now]);
  const current = invitationsAt(invitations, Math.max(now, Date.now()));
  const open = current.filter((i) => i.group.id === group.id && i.state === 'open');
  // The last that ended: who met it (to compare fingerprints with), or why no member came of it.
  const ended = current.find((i) => i.group.id === group.id && i.state !== 'open');
  // The code just made, while it is still open (used, cancelled or expired: it is gone from here).
  const shown = made && open.some((i) => i.id === made.id) ? made : null;
  // A code just made that the agent listed, then no longer lists at all before its TTL: the agent
  // restarted under the window (an agent that stops forgets its open invitations).
  const [listed, setListed] = useState<string | null>(null);
  useEffect(() => {
    if (made && invitations.some((i) => i.id === made.id)) setListed(made.id);
  }, [made, invitations]);
  const lost = lostInvitation(made, listed !== null && listed === made?.id, current, Date.now());
  return (
    <section className="group-invite" aria-label={`Invite to ${group.name}`}>
      <h3>Invite a member</h3>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          invite.start(async () => {
            setMade(await client.call('groups.invite', { group: group.id, ttlMs: ttl * 60_000 }));
          });
        }}
      >
        <label className="field">
          <span>Code valid for</span>
          <select value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
            {TTL_MINUTES.map((m) => (
              <option key={m} value={m}>
                {ttlText(m)}
              </option>
            ))}
          </select>
        </label>
        <ActionButton type="submit" unavailable={invite.busy} aria-label={`Invite to ${group.name}`}>
          Invite
        </ActionButton>
      </form>
      <ErrorText error={invite.error} />
      {shown ? (
        <div className="invitation-made" role="group" aria-label="New invitation">
          <p>
            Give this code to the person you invite; they enter it under Groups → Join group. It works once,
            until {new Date(shown.expiresAt).toLocaleTimeString()}.
          </p>
          <p className="group-code-row">
            <span className="muted">Code</span>
            <code className="group-invite-code">{shown.code}</code>
            <CopyButton text={shown.code} label="Copy code" />
          </p>
          <p className="group-code-row">
            <span className="muted">Link</span>
            <code className="group-invite-link">{shown.link}</code>
            <CopyButton text={shown.link} label="Copy link" />
          </p>
          <QrCode text={shown.link} label="Invitation link as a QR code" size={144} />
        </div>
      ) : null}
      {open.length > 0 ? (
        <>
          <h4>Pending invitations</h4>
          <ul className="invitations" aria-label={`Pending invitations to ${group.name}`}>
            {open.map((i) => (
              <li key={i.id} aria-label={`Invitation ${i.code}`} data-focus-item>
                <code>{i.code}</code>
                <span className="muted">expires {new Date(i.expiresAt).toLocaleTimeString()}</span>
                <button
                  type="button"
                  className="small"
                  aria-label={`Cancel invitation ${i.code}`}
                  onClick={() =>
                    cancel.start(async () => {
                      await client.call('groups.cancelInvitation', { code: i.id });
                      toasts.show(`Invitation ${i.code} cancelled`);
                    })
                  }
                >
                  Cancel
                </button>
              </li>
            ))}
          </ul>
          <ErrorText error={cancel.error} />
        </>
      ) : null}
      {lost ? (
        <p className="muted" role="status">
          Code {lost.code} no longer works: the agent stopped since it was made, and an agent forgets its open
          invitations. Invite again for a new code.
        </p>
      ) : null}
      {ended ? (
        <p className="muted" role="status">
          Last invitation {ended.code}: {ended.state}
          {ended.by ? ` by ${ended.by.name} (fingerprint ${ended.by.short})` : ''}
          {ended.problem ? ` — ${ended.problem}` : ''}
        </p>
      ) : null}
    </section>
  );
}
