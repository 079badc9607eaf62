import { useId, useState } from 'react';
import type { PendingInfo, Permission } from '../../../src-main/api/contract.js';
import { useServices } from '../../api/hooks.js';
import { ErrorText } from '../../components/ErrorText.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { defaultAllow } from '../permission-words.js';
import { usePermissionWords } from '../registry.js';
import { formatAgo } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { approveParams } from './approve-params.js';
import { ActionButton } from '../../components/ActionButton.js';

/**
 * One pending request. A request that came with a code proved it knew this device's code; one that
 * came with only a fingerprint proved nothing, so its Approve stays disabled until the owner says they
 * compared the fingerprint with the other screen, and the approval names that fingerprint, so the
 * agent refuses it if the request behind the ID is not the one that was compared.
 */
export function PendingCard({
  request,
  ownFingerprint,
  asked = false,
}: {
  request: PendingInfo;
  ownFingerprint: string | null;
  /** The window was opened for this request: it is marked as the current one. */
  asked?: boolean;
}) {
  const { client, toasts } = useServices();
  const titleId = useId();
  const compareHintId = useId();
  // A node that is already a peer here keeps what it may do unless the boxes are changed.
  const [chosen, setChosen] = useState<Permission[] | null>(null);
  const fresh = defaultAllow<Permission>(usePermissionWords());
  const allow = chosen ?? request.knownAs?.allow ?? fresh;
  const [compared, setCompared] = useState(false);
  // One of the owner's devices (ADR 0056): it introduces this device to the owner's others, and back.
  // Ticked already when it joined with a code made as one of them (`pair new --mine`).
  const [mine, setMine] = useState(request.mine === true);
  const action = useAction();
  const byCode = request.via === 'code';
  const needsCompare = !byCode && !compared;

  const approve = () =>
    action.start(async () => {
      await client.call('pending.approve', approveParams(request, allow, mine));
      toasts.show(`${request.displayName} approved`);
    });
  const reject = () =>
    action.start(async () => {
      await client.call('pending.reject', { id: request.id });
      toasts.show(`${request.displayName} rejected`);
    });

  return (
    <li
      className={asked ? 'card asked' : 'card'}
      aria-labelledby={titleId}
      aria-current={asked || undefined}
      data-focus-item
    >
      <div className="card-head">
        {/* Takes the focus when the request before it is answered (use-focus-rescue.ts): the start of
            the next one to read, not its Approve, which Enter would press unread. */}
        <h2 id={titleId} tabIndex={-1} data-focus-target>
          {request.displayName}
        </h2>
        {byCode ? (
          <span className="badge badge-direct">code-verified</span>
        ) : (
          <span className="badge badge-warn">fingerprint only — compare before approving</span>
        )}
      </div>
      <p className="meta">
        <span>from {request.address}</span>
        <span>asked {formatAgo(request.age)}</span>
      </p>
      <div className="fingerprints">
        <Fingerprint value={request.fingerprint} label={`${request.name}'s fingerprint`} />
        {ownFingerprint ? <Fingerprint value={ownFingerprint} label="This device's fingerprint" /> : null}
      </div>
      <p className="hint">
        {byCode
          ? `${request.name} entered this device's code. Check that the fingerprints match what its screen shows.`
          : `${request.name} did not use a code. Approve only if its screen shows exactly this fingerprint.`}
      </p>
      {request.knownAs ? (
        <p className="hint" role="note">
          Already a peer here as “{request.knownAs.name}” (it removed this device and pairs again): it keeps
          that name and what it may do here, as ticked below.
        </p>
      ) : null}
      <PermissionBoxes value={allow} onChange={setChosen} legend={`${request.name} may`} />
      <label className="check">
        <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} />
        This is one of my devices
      </label>
      {byCode ? null : (
        <label className="check attention">
          <input type="checkbox" checked={compared} onChange={(e) => setCompared(e.target.checked)} />I
          compared the fingerprints
        </label>
      )}
      <ErrorText error={action.error} />
      <div className="actions">
        {/* Approve keeps the focus while it waits for the box; the hint beside it (and its
            description for a screen reader) says why it does nothing yet. */}
        <ActionButton
          className="primary"
          onClick={approve}
          unavailable={action.busy || needsCompare}
          aria-describedby={needsCompare ? compareHintId : undefined}
        >
          Approve
        </ActionButton>
        <ActionButton className="danger" onClick={reject} unavailable={action.busy}>
          Reject
        </ActionButton>
        {needsCompare ? (
          <span className="hint" id={compareHintId}>
            Tick “I compared the fingerprints” first
          </span>
        ) : null}
      </div>
    </li>
  );
}
