import { useId, useState } from 'react';
import type { PeerInfo, PingResult } from '../../../src-main/api/contract.js';
import { useServices } from '../../api/hooks.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { MessageText } from '../../components/MessageText.js';
import { PathBadge } from '../../components/PathBadge.js';
import { StatusDot } from '../../components/StatusDot.js';
import { formatSince, shortFingerprint } from '../../lib/format.js';
import { pathText, peerState, peerTone, rttText } from '../../lib/peer-text.js';
import { explainError } from '../../lib/refusal-text.js';
import { useAction } from '../../lib/use-action.js';
import { PermissionsDialog } from './PermissionsDialog.js';
import { RenameDialog } from './RenameDialog.js';
import { ActionButton } from '../../components/ActionButton.js';

type Open = 'permissions' | 'rename' | 'remove' | null;

export function PeerCard({ peer }: { peer: PeerInfo }) {
  const { client, nav, terminals, toasts } = useServices();
  const titleId = useId();
  const [open, setOpen] = useState<Open>(null);
  const [ping, setPing] = useState<PingResult | null>(null);
  const action = useAction((err) => explainError(err, peer.name));
  const online = peerState(peer) === 'online';
  const since = formatSince(peer.since);
  const rtt = rttText(peer);

  const doPing = () =>
    void action.run(async () => {
      setPing(null);
      setPing(await client.call('ping', { peer: peer.fingerprint }));
    });
  const openTerminal = () => {
    terminals.open({ peer: peer.fingerprint, peerName: peer.name });
    nav.go('terminals');
  };
  const remove = () =>
    void action.run(async () => {
      await client.call('peers.remove', { peer: peer.fingerprint });
      toasts.show(`${peer.name} removed`);
    });

  return (
    <li className="card" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId}>{peer.name}</h2>
        <StatusDot tone={peerTone(peer)} text={peerState(peer)} />
        {online ? <PathBadge kind={peer.path} text={pathText(peer)} /> : null}
      </div>
      {!online && peer.stateDetail ? (
        <p className="state-detail">
          <MessageText text={peer.stateDetail} />
        </p>
      ) : null}
      <p className="meta">
        <code title={peer.fingerprint}>{shortFingerprint(peer.fingerprint)}</code>
        {rtt ? <span>RTT {rtt}</span> : null}
        {since ? (
          <span>
            {peerState(peer)} {since === 'just now' ? 'since just now' : `for ${since}`}
          </span>
        ) : null}
        <span>may do here: {peer.allow.length ? peer.allow.join(', ') : 'nothing'}</span>
        {/* Where it listens (from its hello), even while relayed or when it dialed us from another port. */}
        {peer.listenAddress ? <span>listens on {peer.listenAddress}</span> : null}
      </p>
      {peer.path === 'relay' && peer.relayReason ? (
        <p className="why">
          <strong>why relayed?</strong> {peer.relayReason}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" onClick={openTerminal}>
          Open terminal
        </button>
        <button type="button" onClick={() => nav.go('forwards', { forwardVia: peer.fingerprint })}>
          Forward a port…
        </button>
        <ActionButton onClick={doPing} unavailable={action.busy}>
          Ping
        </ActionButton>
        <button type="button" onClick={() => setOpen('permissions')}>
          Permissions
        </button>
        <button type="button" onClick={() => setOpen('rename')}>
          Rename
        </button>
        <button type="button" className="danger" onClick={() => setOpen('remove')}>
          Remove
        </button>
      </div>
      {ping ? (
        <p className="result" role="status">
          Ping: {Math.max(1, Math.round(ping.rttMs))} ms over {ping.path} {ping.remote}
        </p>
      ) : null}
      <ErrorText error={action.error} />
      {open === 'permissions' ? <PermissionsDialog peer={peer} onClose={() => setOpen(null)} /> : null}
      {open === 'rename' ? <RenameDialog peer={peer} onClose={() => setOpen(null)} /> : null}
      {open === 'remove' ? (
        <ConfirmDialog
          title={`Remove ${peer.name}?`}
          message={
            <p>
              {peer.name} will no longer reach this device and its links close now. To use it again, pair
              again.
            </p>
          }
          confirmLabel="Remove"
          onConfirm={remove}
          onClose={() => setOpen(null)}
        />
      ) : null}
    </li>
  );
}
