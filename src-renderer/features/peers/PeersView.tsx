import { useMemo } from 'react';
import { useAgent, useServices } from '../../api/hooks.js';
import { PEER_NEWS_MS, peerNews, seePeers } from '../../lib/peer-news.js';
import { useNews } from '../../lib/use-news.js';
import { PeerCard } from './PeerCard.js';
import { ThisNode } from '../../components/ThisNode.js';
import { selfName } from '../../lib/self-name.js';
import { JoinWithCode } from '../pair/JoinWithCode.js';

export function PeersView() {
  const peers = useAgent((s) => s.status?.peers);
  const { nav, client, platform } = useServices();
  // A node that only joins (the browser, ADR 0094) shows no code of its own: it enters the device's.
  const issues = client.serves('pair.new');
  // Its own fingerprint, to compare with what the device shows on approval: the browser has no other
  // place that shows it (a device's window has Settings and the tray).
  const own = platform === 'browser-node' ? <ThisNode heading={selfName(platform).title} /> : null;
  const seen = useMemo(() => seePeers(peers ?? []), [peers]);
  // One region for the whole view, always there: a peer going offline or switching to the relay is
  // said in a few words ("b is offline"), a burst of changes once.
  const news = useNews(seen, peerNews, PEER_NEWS_MS);
  const region = (
    <p className="visually-hidden" role="status">
      {news}
    </p>
  );
  if (!peers)
    return (
      <>
        {region}
        <p className="muted">Loading…</p>
      </>
    );
  return (
    <>
      {region}
      <header className="view-header">
        <h1>Peers</h1>
        {peers.length > 0 ? (
          <div className="actions">
            {issues ? (
              <button type="button" data-focus-main onClick={() => nav.go('pair', { pairMode: 'new' })}>
                Pair new device
              </button>
            ) : null}
            <button type="button" onClick={() => nav.go('pair', { pairMode: 'join' })}>
              Join with code
            </button>
          </div>
        ) : null}
      </header>
      {own}
      {peers.length === 0 && !issues ? (
        <div className="empty">
          <p>
            No devices yet. On a device that runs Clawbridge, run <code>clawbridge pair new</code> and enter
            the code it shows here; its owner compares fingerprints and approves.
          </p>
          {/* Nowhere else to go first: the join form is right here. */}
          <JoinWithCode initial="" onDone={() => undefined} />
          {/* Someone with no device here may have come to watch a terminal shared by link (ADR 0123). */}
          {platform === 'browser-node' ? (
            <p>
              Given a share code to watch someone&apos;s terminal?{' '}
              <a href="#watch">Watch a shared terminal</a>
            </p>
          ) : null}
        </div>
      ) : peers.length === 0 ? (
        <div className="empty">
          <p>
            No peers yet. Pair this device with another one that runs Clawbridge: one of them shows a code,
            the other enters it, and the first approves after comparing fingerprints.
          </p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              data-focus-main
              onClick={() => nav.go('pair', { pairMode: 'new' })}
            >
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
