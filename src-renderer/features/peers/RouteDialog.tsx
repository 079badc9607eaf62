import { useId, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { useAgent, useServices } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { refusal } from '../../lib/their-grants.js';
import { PEERS_PERMISSIONS } from './peers-permissions.js';
import { ErrorText } from '../../components/ErrorText.js';
import { useAction } from '../../lib/use-action.js';
import { ActionButton } from '../../components/ActionButton.js';

/** As many hops as the agent takes (routes.ts MAX_ROUTE_HOPS): a longer route is refused there. */
const HOPS = 4;

/**
 * The peers a peer is reached through, in order (docs/adr/0017-multi-hop-routes.md): one select per
 * hop, an empty one skipped. The agent checks the route (a hop twice, the peer itself) and its refusal
 * stays in the dialog with what was chosen.
 */
export function RouteDialog({ peer, onClose }: { peer: PeerInfo; onClose: () => void }) {
  const { client, toasts } = useServices();
  const peers = useAgent((s) => s.status?.peers) ?? [];
  // Any other peer may be a hop; the peer itself never can, so it is not offered.
  const others = peers.filter((p) => p.fingerprint !== peer.fingerprint);
  // The saved route names its hops; names are unique among peers, so they find the fingerprints.
  const [hops, setHops] = useState<string[]>(() => {
    const saved = (peer.route ?? []).map((name) => peers.find((p) => p.name === name)?.fingerprint ?? '');
    return Array.from({ length: HOPS }, (_, i) => saved[i] ?? '');
  });
  const chosen = hops.filter(Boolean);
  const action = useAction();
  const errorId = useId();

  const setHop = (index: number, value: string) => {
    action.clear();
    setHops((h) => h.map((v, i) => (i === index ? value : v)));
  };
  const send = (via: string[] | null, done: string) =>
    action.start(async () => {
      await client.call('peers.route', { peer: peer.fingerprint, via });
      toasts.show(done);
      onClose();
    });

  return (
    <Dialog title={`Route to ${peer.name}`} onClose={onClose}>
      <p className="dialog-body">
        Streams to {peer.name} go through these peers in order, each one passing them to the next. Each hop
        must allow relay.
      </p>
      <fieldset className="route-hops">
        <legend>Hops, in order</legend>
        {hops.map((value, i) => (
          <label className="field" key={i}>
            <span>Hop {i + 1}</span>
            <select
              value={value}
              onChange={(e) => setHop(i, e.target.value)}
              aria-invalid={!!action.error}
              aria-describedby={errorId}
              autoFocus={i === 0}
            >
              <option value="">(none)</option>
              {others.map((p) => {
                // Only the first hop relays for this device; later hops relay for the hop before them,
                // whose grants this device does not see (ADR 0017), so only the first can be ruled out.
                const why = i === 0 ? refusal(p, 'relay', PEERS_PERMISSIONS) : null;
                return (
                  <option
                    key={p.fingerprint}
                    value={p.fingerprint}
                    disabled={why !== null && value !== p.fingerprint}
                  >
                    {why === null ? p.name : `${p.name} (${why})`}
                  </option>
                );
              })}
            </select>
          </label>
        ))}
      </fieldset>
      <ErrorText error={action.error} id={errorId} />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <ActionButton
          onClick={() => send(null, `Route to ${peer.name} cleared`)}
          unavailable={action.busy || peer.route === null}
        >
          Clear route
        </ActionButton>
        <ActionButton
          className="primary"
          onClick={() => send(chosen, `Route to ${peer.name} saved`)}
          unavailable={action.busy || chosen.length === 0}
        >
          Save
        </ActionButton>
      </div>
    </Dialog>
  );
}
