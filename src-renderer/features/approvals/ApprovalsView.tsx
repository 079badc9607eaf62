import { useAgent, useIntent } from '../../api/hooks.js';
import { PendingCard } from './PendingCard.js';

/** Approvals; opened for one request (a notification, a tray entry), that one comes first and stands out. */
export function ApprovalsView() {
  const intent = useIntent('approvals');
  const all = useAgent((s) => s.pending);
  const own = useAgent((s) => s.status?.fingerprint ?? null);
  const asked = (p: { id: string; fingerprint: string }) =>
    intent.request !== undefined && (p.id === intent.request || p.fingerprint === intent.request);
  const pending = [...all.filter(asked), ...all.filter((p) => !asked(p))];
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
            <PendingCard key={p.id} request={p} ownFingerprint={own} asked={asked(p)} />
          ))}
        </ul>
      )}
    </>
  );
}
