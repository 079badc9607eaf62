import { useId, useState } from 'react';
import type { PeerInfo, PingResult } from '../../../src-main/api/contract.js';
import { addressWithWhere } from '../../../src-main/core/path-label.js';
import { useAgent, usePeers, useServices } from '../../api/hooks.js';
import { peerActionsOf, useFeatures, usePermissionWords } from '../registry.js';
import { introducedText, mineBadge } from './mine-text.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { HintedText } from '../../components/HintedText.js';
import { PathBadge } from '../../components/PathBadge.js';
import { StatusDot } from '../../components/StatusDot.js';
import { formatSince, shortFingerprint } from '../../lib/format.js';
import { pathText, peerState, peerTone, rttText } from '../../lib/peer-text.js';
import { grantsText, refusedAllBecause, refusedBecause, theirGrantsText } from '../../lib/their-grants.js';
import { explainError } from '../../lib/refusal-text.js';
import { useAction } from '../../lib/use-action.js';
import { PermissionsDialog } from './PermissionsDialog.js';
import { RenameDialog } from './RenameDialog.js';
import { RouteDialog } from './RouteDialog.js';
import { ActionButton } from '../../components/ActionButton.js';
import { MustBeOnline } from '../../components/MustBeOnline.js';
import { desktopFiles } from '../../lib/desktop-files.js';
import { selfName } from '../../lib/self-name.js';

/** The card's own dialogs, or the features' action (by its index) whose dialog is open. */
type Open = 'permissions' | 'rename' | 'route' | 'remove' | number | null;

/**
 * One peer: its state, both directions of what it may do, and its actions — the features' first
 * (registry.ts PeerAction: Open terminal, Forward a port…, Send files…), then the card's own.
 */
export function PeerCard({ peer }: { peer: PeerInfo }) {
  const services = useServices();
  const { client, toasts } = services;
  const words = usePermissionWords();
  const actions = peerActionsOf(useFeatures());
  // The one action that takes files dropped on the card, if a feature has it.
  const dropAction = actions.findIndex((a) => a.takesDroppedFiles === true && a.Dialog !== undefined);
  const titleId = useId();
  const refusedId = useId();
  const awayId = useId();
  const [open, setOpen] = useState<Open>(null);
  const [ping, setPing] = useState<PingResult | null>(null);
  // Files dropped on the card (desktop app only: a browser page cannot learn their paths).
  const [dropped, setDropped] = useState<string[]>([]);
  const [dropOver, setDropOver] = useState(false);
  const desktop = dropAction >= 0 ? desktopFiles() : null;
  const action = useAction((err) => explainError(err, peer.name));
  const online = peerState(peer) === 'online';
  // The card's own actions, where the node behind the window serves them (the browser node serves
  // few, ADR 0094): a button that could only fail is not shown.
  const serves = (method: string) => client.serves(method);
  // A node that grants nothing (the browser) has no permissions to show either way.
  const grants = serves('peers.allow');
  // While the agent is away the card is its last known state: a duration would go on counting from it
  // (re-rendered by the retries) and a round-trip time would be one no one measures any more.
  const current = useAgent((s) => s.connection.kind === 'connected');
  const since = current ? formatSince(peer.since) : null;
  const rtt = current ? rttText(peer) : null;

  const doPing = () =>
    action.start(async () => {
      setPing(null);
      setPing(await client.call('ping', { peer: peer.fingerprint }));
    });
  // What the peer said it refuses this device: its buttons stay (and keep the focus) but do nothing,
  // and say why, rather than opening something that fails a moment later.
  const needed = actions.flatMap((a) => (a.permission === undefined ? [] : [a.permission]));
  const refusedText = refusedAllBecause(peer, needed, words);
  const whereToChange = `on ${peer.name}, open Peers → Permissions for this device`;
  const peers = usePeers();
  const badge = mineBadge(peer);
  const introduced = introducedText(peer, peers);
  // One of the owner's devices, or not (ADR 0056): it counts once the other side marks this one too.
  const toggleMine = () =>
    action.start(async () => {
      const after = await client.call('peers.mine', { peer: peer.fingerprint, on: !peer.mine });
      toasts.show(
        after.mine
          ? `${peer.name} marked as one of your devices${after.theyMarkMine === true ? '' : ': mark this device on it too'}`
          : `${peer.name} is no longer marked as one of your devices`,
      );
    });
  const remove = () =>
    action.start(async () => {
      await client.call('peers.remove', { peer: peer.fingerprint });
      toasts.show(`${peer.name} removed`);
    });

  return (
    <li
      className={dropOver ? 'card drop-target' : 'card'}
      aria-labelledby={titleId}
      data-focus-item
      onDragOver={
        desktop
          ? (e) => {
              if (!e.dataTransfer.types.includes('Files')) return;
              e.preventDefault();
              setDropOver(true);
            }
          : undefined
      }
      onDragLeave={desktop ? () => setDropOver(false) : undefined}
      onDrop={
        desktop
          ? (e) => {
              e.preventDefault();
              setDropOver(false);
              const paths = [...e.dataTransfer.files].map((f) => desktop.pathOf(f)).filter(Boolean);
              if (paths.length === 0) return;
              setDropped(paths);
              setOpen(dropAction);
            }
          : undefined
      }
    >
      <div className="card-head">
        {/* Takes the focus when the card before it is removed (use-focus-rescue.ts). */}
        <h2 id={titleId} tabIndex={-1} data-focus-target>
          {peer.name}
        </h2>
        <StatusDot tone={peerTone(peer)} text={peerState(peer)} />
        {online ? <PathBadge kind={peer.path} text={pathText(peer)} /> : null}
        {badge ? <span className="badge badge-mine">{badge}</span> : null}
      </div>
      {!online && peer.stateDetail ? (
        <p className="state-detail">
          <HintedText text={peer.stateDetail} hint={peer.stateHint} />
        </p>
      ) : null}
      <p className="meta">
        <code>{shortFingerprint(peer.fingerprint)}</code>
        {rtt ? <span>RTT {rtt}</span> : null}
        {since ? (
          <span>
            {peerState(peer)} {since === 'just now' ? 'since just now' : `for ${since}`}
          </span>
        ) : null}
        {current ? null : <span>{peerState(peer)} when the agent was last reached</span>}
        {/* Both directions: what the peer may do on this device, and what it lets this device do there. */}
        {grants ? <span>may do here: {grantsText(peer.allow, words)}</span> : null}
        {grants ? <span>lets this device: {theirGrantsText(peer, words)}</span> : null}
        {/* Where it listens (from its hello), even while relayed or when it dialed us from another port. */}
        {peer.listenAddress ? (
          <span>listens on {addressWithWhere(peer.listenAddress, peer.listenAddressWhere)}</span>
        ) : null}
        {/* The saved route, as `peers` prints it: every stream to the peer goes through these hops. */}
        {peer.route ? <span>via {peer.route.join(' → ')}</span> : null}
        {introduced ? <span>{introduced}</span> : null}
      </p>
      {peer.path === 'relay' && peer.relayReason ? (
        <p className="why">
          <strong>why relayed?</strong> {peer.relayReason}
        </p>
      ) : null}
      {/* The whole fingerprint, grouped and with Copy, for keyboard and touch alike (a title would be
          for a mouse only). */}
      <details className="peer-fingerprint">
        <summary>Full fingerprint</summary>
        <Fingerprint value={peer.fingerprint} label={`${peer.name}'s fingerprint`} />
      </details>
      {/* Each control is named with its peer: a list of cards is otherwise a list of "Remove"s. The
          names start with the words shown, so speaking those works too. */}
      {refusedText ? (
        <p className="why" id={refusedId}>
          {refusedText} — {whereToChange}
        </p>
      ) : null}
      <div className="actions">
        {actions.map((a, i) => {
          const act = () => {
            if (a.Dialog) {
              setDropped([]);
              setOpen(i);
            }
            a.run?.({ peer, services });
          };
          if (a.permission === undefined)
            return (
              <button key={a.text} type="button" onClick={act} aria-label={a.name(peer)}>
                {a.text}
              </button>
            );
          const refused = refusedBecause(peer, a.permission, words);
          const away = a.needsOnline === true && !online;
          return (
            <ActionButton
              key={a.text}
              onClick={act}
              unavailable={refused !== null || away}
              aria-label={a.name(peer)}
              aria-describedby={refused ? refusedId : away ? awayId : undefined}
            >
              {a.text}
            </ActionButton>
          );
        })}
        {/* Why an action that needs the peer online does nothing now: its state says it visibly already. */}
        {!online && actions.some((a) => a.needsOnline === true) ? (
          <MustBeOnline id={awayId} name={peer.name} state={peerState(peer)} />
        ) : null}
        {serves('ping') ? (
          <ActionButton onClick={doPing} unavailable={action.busy} aria-label={`Ping ${peer.name}`}>
            Ping
          </ActionButton>
        ) : null}
        {grants ? (
          <button
            type="button"
            onClick={() => setOpen('permissions')}
            aria-label={`Permissions of ${peer.name}`}
          >
            Permissions
          </button>
        ) : null}
        {serves('peers.mine') ? (
          <ActionButton
            onClick={toggleMine}
            unavailable={action.busy}
            aria-pressed={peer.mine}
            aria-label={`${peer.name} is one of my devices`}
          >
            {/* Pressed shows in words too, not only in the button's colour. */}
            {peer.mine ? '✓ One of my devices' : 'One of my devices'}
          </ActionButton>
        ) : null}
        {serves('peers.route') ? (
          <button type="button" onClick={() => setOpen('route')} aria-label={`Route for ${peer.name}`}>
            Route…
          </button>
        ) : null}
        {serves('peers.rename') ? (
          <button type="button" onClick={() => setOpen('rename')} aria-label={`Rename ${peer.name}`}>
            Rename
          </button>
        ) : null}
        {serves('peers.remove') ? (
          <button
            type="button"
            className="danger"
            onClick={() => setOpen('remove')}
            aria-label={`Remove ${peer.name}`}
          >
            Remove
          </button>
        ) : null}
      </div>
      {/* Always there, so the result is heard when it arrives (a region inserted with its text is not). */}
      <p className="result" role="status">
        {ping ? `Ping: ${Math.max(1, Math.round(ping.rttMs))} ms over ${ping.path} ${ping.remote}` : ''}
      </p>
      <ErrorText error={action.error} />
      {open === 'permissions' ? <PermissionsDialog peer={peer} onClose={() => setOpen(null)} /> : null}
      {actions.map((a, i) =>
        open === i && a.Dialog ? (
          <a.Dialog key={a.text} peer={peer} initial={dropped} onClose={() => setOpen(null)} />
        ) : null,
      )}
      {open === 'route' ? <RouteDialog peer={peer} onClose={() => setOpen(null)} /> : null}
      {open === 'rename' ? <RenameDialog peer={peer} onClose={() => setOpen(null)} /> : null}
      {open === 'remove' ? (
        <ConfirmDialog
          title={`Remove ${peer.name}?`}
          message={
            <p>
              {peer.name} will no longer reach {selfName(services.platform).lower} and its links close now. To
              use it again, pair again.
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
