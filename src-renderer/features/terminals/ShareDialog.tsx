import { useId, useState } from 'react';
import { usePeers, useService } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { Dialog } from '../../components/Dialog.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { peerState } from '../../lib/peer-text.js';
import { explainError } from '../../lib/refusal-text.js';
import { useAction } from '../../lib/use-action.js';
import { useGroups } from '../groups/use-groups.js';
import { SHARES } from './shares-store.js';
import type { TerminalTab } from './terminal-tab.js';

/** A group's option's value in the one "Share with" list, apart from a peer's fingerprint. */
const GROUP = 'group:';
/** The link's option's value in that list: a one-time code for someone with no Clawbridge. */
const LINK = 'link:';

/**
 * How long a share lasts, as the dialog offers it (ms; none: until the terminal ends). A share past
 * its time ends where the shell runs, and each viewer's view with it (ADR 0123).
 */
const EXPIRIES: readonly (readonly [string, number | undefined])[] = [
  ['Until the terminal ends', undefined],
  ['For 1 hour', 3_600_000],
  ['For 8 hours', 8 * 3_600_000],
  ['For 1 day', 24 * 3_600_000],
];

/**
 * "Share…" for a terminal this node opened: with one of this node's peers (any but the node where the
 * shell runs) or, when this node is in a group, with a group's other devices as it is now, watching
 * only unless "Let them type" is ticked, for a while or until the terminal ends; or by a link, whose
 * one-time code and relay page's link the dialog then shows to pass on (ADR 0123 §Link). The agent's refusal
 * (the peer could not be told, the host refused) is shown beside the button, the form kept as it was.
 */
export function ShareDialog({ tab, onClose }: { tab: TerminalTab; onClose: () => void }) {
  const shares = useService(SHARES);
  const peers = usePeers().filter((p) => p.fingerprint !== tab.target.peer);
  const groups = useGroups((s) => s.groups);
  const [peer, setPeer] = useState(peers[0]?.fingerprint ?? (groups[0] ? GROUP + groups[0].id : LINK));
  const [issued, setIssued] = useState<{ code: string; link: string; shown: () => void } | undefined>(
    undefined,
  );
  const [write, setWrite] = useState(false);
  const [expiry, setExpiry] = useState(0);
  const action = useAction((err) => explainError(err, tab.target.peerName));
  const writeId = useId();
  const noneId = useId();
  const id = tab.sessionId;

  const share = () =>
    action.start(async () => {
      if (!id || !peer) return;
      const expires = EXPIRIES[expiry]![1];
      if (peer === LINK) return setIssued(await shares.shareLink(id, write, expires));
      if (peer.startsWith(GROUP)) await shares.shareGroup(id, peer.slice(GROUP.length), write, expires);
      else await shares.share(id, peer, write, expires);
      onClose();
    });

  if (issued) {
    const done = () => {
      issued.shown();
      onClose();
    };
    return (
      <Dialog title={`Share the terminal on ${tab.target.peerName}`} onClose={done}>
        <div className="dialog-body share-dialog" role="group" aria-label="Share link">
          <p>
            One use: whoever opens the link first (or types the code under <strong>Share code</strong> on the
            relay&apos;s page) {write ? 'watches and types' : 'watches'}; they show as a link viewer.
          </p>
          <p>
            Code: <code>{issued.code}</code> <CopyButton text={issued.code} label="Copy the code" />
          </p>
          <p>
            Link: <code>{issued.link}</code> <CopyButton text={issued.link} label="Copy the link" />
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={done}>
              Done
            </button>
          </div>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={`Share the terminal on ${tab.target.peerName}`} onClose={onClose}>
      <form
        className="dialog-body share-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          share();
        }}
      >
        {peers.length === 0 && groups.length === 0 ? (
          <p className="why" id={noneId}>
            No other peer to share it with: pair the device first (Pair), or share it by a link.
          </p>
        ) : null}
        <label className="field">
          <span>Share with</span>
          <select
            value={peer}
            autoFocus
            aria-describedby={peers.length === 0 && groups.length === 0 ? noneId : undefined}
            onChange={(e) => {
              setPeer(e.target.value);
              action.clear();
            }}
          >
            {peers.map((p) => {
              const state = peerState(p);
              return (
                <option key={p.fingerprint} value={p.fingerprint}>
                  {state === 'online' ? p.name : `${p.name} (${state})`}
                </option>
              );
            })}
            {groups.length > 0 ? (
              <optgroup label="Groups (their other devices)">
                {groups.map((g) => (
                  <option key={g.id} value={GROUP + g.id}>
                    {g.name}
                  </option>
                ))}
              </optgroup>
            ) : null}
            <option value={LINK}>Anyone with a link (a one-time code)</option>
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={write}
            aria-describedby={writeId}
            onChange={(e) => setWrite(e.target.checked)}
          />
          Let them type
        </label>
        <p className="muted small-text" id={writeId}>
          Without it they only watch: what they type is dropped on {tab.target.peerName}, where the shell
          runs. You can switch each viewer later.
        </p>
        <label className="field">
          <span>Ends</span>
          <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            {EXPIRIES.map(([text], i) => (
              <option key={text} value={i}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <ErrorText error={action.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <ActionButton type="submit" className="primary" unavailable={action.busy || !peer || !id}>
            Share
          </ActionButton>
        </div>
      </form>
    </Dialog>
  );
}
