import { useAgent, useServices } from '../../api/hooks.js';
import { PeerCard } from './PeerCard.js';

export function PeersView() {
  const peers = useAgent((s) => s.status?.peers);
  const { nav } = useServices();
  if (!peers) return <p className="muted">Loading…</p>;
  return (
    <>
      <header className="view-header">
        <h1>Peers</h1>
        {peers.length > 0 ? (
          <div className="actions">
            <button type="button" onClick={() => nav.go('pair', { pairMode: 'new' })}>
              Pair new device
            </button>
            <button type="button" onClick={() => nav.go('pair', { pairMode: 'join' })}>
              Join with code
            </button>
          </div>
        ) : null}
      </header>
      {peers.length === 0 ? (
        <div className="empty">
          <p>
            No peers yet. Pair this device with another one that runs Clawbridge: one of them shows a code,
            the other enters it, and the first approves after comparing fingerprints.
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => nav.go('pair', { pairMode: 'new' })}>
              Pair new device
            </button>
            <button type="button" onClick={() => nav.go('pair', { pairMode: 'join' })}>
              Join with code
            </button>
          </div>
        </div>
      ) : (
        <ul className="cards">
          {peers.map((p) => (
            <PeerCard key={p.fingerprint} peer={p} />
          ))}
        </ul>
      )}
    </>
  );
}
