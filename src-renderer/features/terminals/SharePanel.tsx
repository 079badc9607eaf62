import { useEffect, useRef, useState } from 'react';
import type { ShareViewer } from '../../../src-main/terminal/shares/share-contract.js';
import { useService, useServices, useStore } from '../../api/hooks.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { formatAgo, groupFingerprint } from '../../lib/format.js';
import { explainError } from '../../lib/refusal-text.js';
import { useAction } from '../../lib/use-action.js';
import { ShareDialog } from './ShareDialog.js';
import { SHARES } from './shares-store.js';
import type { TerminalTab } from './terminal-tab.js';

/**
 * How often a shared terminal's tab asks who is in its share while it is shown, in ms (2 s). Polling,
 * because nothing pushes it: the viewers are kept on the node where the shell runs, which answers the
 * sharer's one request with one line and tells it nothing unasked (ADR 0123 §1); a join or a leave there
 * reaches this list within this long. Only the shown tab asks, one small request each time.
 */
export const VIEWERS_POLL_MS = 2_000;

/**
 * The sharer's bar above a terminal it opened: "Share…" (ShareDialog), and once shared who is there —
 * each viewer's name, device, fingerprint, watching or typing, open now or not, since when — with a
 * switch between watching and typing and Revoke for each, and Stop sharing.
 */
export function SharePanel({ tab }: { tab: TerminalTab }) {
  const shares = useService(SHARES);
  const serves = useServices().client.serves('terminal.share');
  const id = tab.sessionId;
  const share = useStore(shares.live, (s) => (id ? s.shares[id] : undefined));
  const [sharing, setSharing] = useState(false);
  const action = useAction((err) => explainError(err, tab.target.peerName));
  const [asked, setAsked] = useState<string | null>(null);
  const shared = share !== undefined;
  const start = useRef<HTMLButtonElement>(null);
  const stop = useRef<HTMLButtonElement>(null);
  const refocus = useRef<'start' | 'stop' | null>(null);
  useEffect(() => {
    const to = refocus.current === 'start' ? start.current : refocus.current === 'stop' ? stop.current : null;
    if (!to) return;
    refocus.current = null;
    to.focus();
  });

  useEffect(() => {
    if (!id || !shared) return;
    let stopped = false;
    // One question at a time: a slow host (it has 15 s to answer) is not asked again meanwhile.
    let asking = false;
    const ask = () => {
      if (asking) return;
      asking = true;
      shares.viewers(id).then(
        () => {
          asking = false;
          if (!stopped) setAsked(null);
        },
        (err: unknown) => {
          asking = false;
          if (!stopped) setAsked(explainError(err, tab.target.peerName));
        },
      );
    };
    const timer = setInterval(ask, VIEWERS_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id, shared, shares, tab.target.peerName]);

  // The relay's page (a browser node) opens terminals but shares none: no Share… there.
  if (!id || !serves) return null;
  const dialog = sharing ? <ShareDialog tab={tab} onClose={() => setSharing(false)} /> : null;
  if (!share)
    return (
      <div className="share-bar">
        <button type="button" className="small" ref={start} onClick={() => setSharing(true)}>
          Share…
        </button>
        <ErrorText error={action.error} />
        {dialog}
      </div>
    );
  const switchTo = (v: ShareViewer) => action.start(() => shares.share(id, v.fingerprint, !v.write));
  // The row (or the whole list) whose button had the focus goes: the focus moves to what is left.
  const revoke = (v: ShareViewer) =>
    action.start(async () => {
      await shares.revoke(id, v.fingerprint);
      refocus.current = 'stop';
    });
  const unshare = () =>
    action.start(async () => {
      await shares.unshare(id);
      refocus.current = 'start';
    });
  return (
    <section className="share-bar" aria-label="Sharing">
      <p className="share-summary">
        <strong>Shared</strong>
        {share.viewers.length === 0
          ? ' with nobody now'
          : ` with ${share.viewers.length} ${share.viewers.length === 1 ? 'viewer' : 'viewers'}`}
        {share.expiresAt ? `, until ${new Date(share.expiresAt).toLocaleString()}` : ''}
      </p>
      <ul className="share-viewers" aria-label="Viewers">
        {share.viewers.map((v) => (
          <li key={v.fingerprint}>
            <span className="viewer-name">{v.name}</span> <span className="muted">device {v.device}</span>{' '}
            <code
              className="viewer-fingerprint"
              title={v.fingerprint}
              aria-label={`fingerprint ${groupFingerprint(v.fingerprint).join(' ')}`}
            >
              {groupFingerprint(v.fingerprint).slice(0, 2).join(' ')}…
            </code>{' '}
            <span className="viewer-state">
              {v.write ? 'typing' : 'watching only'}
              {v.watching ? ', here now' : ', not open now'}
            </span>{' '}
            <span className="muted" title={v.since}>
              added {formatAgo((Date.now() - Date.parse(v.since)) / 1000)}
            </span>
            <ActionButton className="small" unavailable={action.busy} onClick={() => switchTo(v)}>
              {v.write ? `Make ${v.name} watch only` : `Let ${v.name} type`}
            </ActionButton>
            <ActionButton
              className="small danger"
              aria-label={`Revoke ${v.name}`}
              unavailable={action.busy}
              onClick={() => revoke(v)}
            >
              Revoke
            </ActionButton>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="small" onClick={() => setSharing(true)}>
          Share with someone else…
        </button>
        {/* One action runs at a time (useAction): a second press while one runs does nothing. */}
        <button type="button" className="small danger" ref={stop} onClick={unshare}>
          Stop sharing
        </button>
      </div>
      <ErrorText error={action.error} />
      {asked ? <p className="muted small-text">Could not ask who is there: {asked}</p> : null}
      {dialog}
    </section>
  );
}
