import { useAgent } from '../../api/hooks.js';
import { PendingCard } from './PendingCard.js';

export function ApprovalsView() {
  const pending = useAgent((s) => s.pending);
  const own = useAgent((s) => s.status?.fingerprint ?? null);
  return (
    <>
      <header className="view-header">
        <h1>Approvals</h1>
      </header>
      {pending.length === 0 ? (
        <p className="empty">
          No device is waiting. When one asks to pair — after entering this device's code, or knowing its
          fingerprint — it appears here for you to approve or reject.
        </p>
      ) : (
        <ul className="cards">
          {pending.map((p) => (
            <PendingCard key={p.id} request={p} ownFingerprint={own} />
          ))}
        </ul>
      )}
    </>
  );
}
