import { useState } from 'react';
import type { JoinResult } from '../../../src-main/group-members/group-members-contract.js';
import { useServices } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { normalizeCode, shortFingerprint } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';

/**
 * A member's side of an invitation: the code (or link) the owner gave, and Join group. Joining meets
 * the owner's device (directly or through its relay), which may take a while; what went wrong (a wrong
 * or expired code, the inviter offline or refusing, or a malformed link the app was opened with:
 * `refusedLink`) is said under the field.
 */
export function JoinGroup({
  initial,
  refusedLink,
  focusMain = false,
}: {
  initial: string;
  refusedLink?: string;
  /** The field the view's focus lands on (where there is no New group form before it). */
  focusMain?: boolean;
}) {
  const { client } = useServices();
  const [code, setCode] = useState(initial);
  const [joined, setJoined] = useState<JoinResult | null>(null);
  // The link the app was opened with and refused, said until the next join.
  const [refused, setRefused] = useState(refusedLink ?? null);
  const join = useAction();
  return (
    <section className="group-join" aria-label="Join a group">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setJoined(null);
          setRefused(null);
          join.start(async () => {
            const r = await client.call('groups.join', { code: normalizeCode(code) });
            setJoined(r);
            setCode('');
          });
        }}
      >
        <label className="field">
          <span>Invitation code</span>
          <input
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder="K7QX-M2RT-9WZA"
            autoComplete="off"
            spellCheck={false}
            {...(focusMain ? { 'data-focus-main': true } : {})}
            // Read-only, not disabled, while joining: a disabled field would drop the focus to the page.
            readOnly={join.busy}
            aria-invalid={!!join.error}
            aria-describedby="group-join-error"
          />
        </label>
        <ActionButton type="submit" className="primary" unavailable={join.busy || code.trim() === ''}>
          Join group
        </ActionButton>
      </form>
      <p className="visually-hidden" role="status">
        {join.busy ? 'Joining…' : joined ? `Joined ${joined.group.name}` : ''}
      </p>
      {join.busy ? <p className="muted">Joining: meeting the inviting device…</p> : null}
      <ErrorText
        error={join.error ?? (refused ? `The invitation link was not opened: ${refused}` : null)}
        id="group-join-error"
      />
      {joined ? (
        <p className="outcome ok">
          ✓ Joined {joined.group.name}, invited by {joined.inviter.name} (fingerprint{' '}
          <code>{shortFingerprint(joined.inviter.fingerprint)}</code>, via {joined.via}).
        </p>
      ) : null}
    </section>
  );
}
