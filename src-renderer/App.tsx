/**
 * A deliberately small first window: this node's name, fingerprint and relays, and the peer list.
 * The real UI (approvals, pairing, terminals, forwards) replaces it later.
 */
import { useEffect, useState } from 'react';
import type { AgentPeerStatus, AgentStatus, DesktopApi } from '../src-main/electron/bridge-api.js';

/** `8554 4cd4 2bcf …`: groups of four so two screens are easy to compare by eye. */
function grouped(fingerprint: string): string {
  return (fingerprint.match(/.{1,4}/g) ?? []).join(' ');
}

function pathLabel(peer: AgentPeerStatus): string {
  if (!peer.online || peer.path === null) return 'offline';
  return peer.rttMs === null ? peer.path : `${peer.path} · ${Math.round(peer.rttMs)} ms`;
}

export function App({ api }: { api: DesktopApi | undefined }) {
  const [status, setStatus] = useState<AgentStatus | null>(null);
  const [error, setError] = useState<string | null>(api ? null : 'The Clawbridge preload is missing.');

  useEffect(() => {
    if (!api) return;
    let live = true;
    const load = async () => {
      try {
        const next = await api.status();
        if (!live) return;
        setStatus(next);
        setError(null);
      } catch (err) {
        if (live) setError(err instanceof Error ? err.message : String(err));
      }
    };
    void load();
    const dispose = api.onChange(() => void load());
    return () => {
      live = false;
      dispose();
    };
  }, [api]);

  if (error) return <p className="error">{error}</p>;
  if (!status) return <p className="muted">Starting…</p>;
  return (
    <main>
      <header>
        <h1>{status.name}</h1>
        <code className="fingerprint">{grouped(status.fingerprint)}</code>
        <ul className="relays">
          {status.relays.map((r) => (
            <li key={r.url} className={r.connected ? 'ok' : 'down'}>
              {r.url} — {r.connected ? 'connected' : 'not connected'}
            </li>
          ))}
        </ul>
      </header>
      <h2>Peers</h2>
      {status.peers.length === 0 ? (
        <p className="muted">No peers yet. Pair a device from the tray menu.</p>
      ) : (
        <table>
          <tbody>
            {status.peers.map((p) => (
              <tr key={p.fingerprint}>
                <td>{p.name}</td>
                <td>
                  <code>{grouped(p.fingerprint).slice(0, 19)}…</code>
                </td>
                <td className={p.online ? 'ok' : 'down'}>{pathLabel(p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
