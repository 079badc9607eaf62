import { useEffect, useId, useState } from 'react';
import type { ReceivedInfo, TransferInfo } from '../../../src-main/files/files-contract.js';
import type { ShareInfo } from '../../../src-main/share/share-contract.js';
import { useAgent, useIntent, usePeers, useService, useServices, useStore } from '../../api/hooks.js';
import { clearable, FILES, finished } from './files-store.js';
import { SHARES } from './shares-store.js';
import { useFiles } from './use-files.js';
import { TransferProgress } from './TransferProgress.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { StatusDot } from '../../components/StatusDot.js';
import { desktopFiles } from '../../lib/desktop-files.js';
import { formatBytes } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { grantText, namesText, progressText, stateText, transferTitle } from './files-text.js';
import { SendFilesDialog } from './SendFilesDialog.js';
import { SendCodeDialog } from './SendCodeDialog.js';
import { CodeOffersSection } from './CodeOffers.js';
import './files.css';

/**
 * Files: transfers in both directions with their progress, what arrived in the
 * file inbox (moved out from here), and the folders this node shares through a peer.
 */
export function FilesView() {
  const shares = useService(SHARES);
  const phase = useFiles((s) => s.phase);
  const error = useFiles((s) => s.error);
  const peers = usePeers();
  const intent = useIntent('files');
  const [sendTo, setSendTo] = useState(intent.sendFilesTo ?? null);
  const [sendingToAnyone, setSendingToAnyone] = useState(false);
  useEffect(() => shares.watch(), [shares]);
  const target = sendTo ? peers.find((p) => p.fingerprint === sendTo) : undefined;

  return (
    <>
      <header className="view-header">
        <h1>Files</h1>
        {phase === 'unsupported' ? null : (
          <div className="actions">
            <button type="button" onClick={() => setSendingToAnyone(true)}>
              Send to anyone…
            </button>
          </div>
        )}
      </header>
      {phase === 'unsupported' ? (
        <p className="empty">This agent does not send files: it runs an older Clawbridge. Update it.</p>
      ) : null}
      <ErrorText error={error} />
      <CodeOffersSection />
      <Transfers />
      <Received />
      <Shares />
      {target ? <SendFilesDialog peer={target} onClose={() => setSendTo(null)} /> : null}
      {sendingToAnyone ? <SendCodeDialog onClose={() => setSendingToAnyone(false)} /> : null}
    </>
  );
}

function Transfers() {
  const files = useService(FILES);
  const transfers = useFiles((s) => s.transfers);
  const phase = useFiles((s) => s.phase);
  const headingId = useId();
  const clear = useAction();
  const moving = transfers.filter((t) => !finished(t));
  const ended = transfers.filter((t) => finished(t));
  const done = ended.filter(clearable).length;
  return (
    <section className="files-section" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>Transfers</h2>
        {done > 0 ? (
          <button
            type="button"
            onClick={() => clear.start(() => files.clearFinished())}
            disabled={clear.busy}
            title="Take the transfers that are done or cancelled off this list (failed ones stay until you cancel them or send again)"
          >
            Clear finished
          </button>
        ) : null}
      </div>
      <ErrorText error={clear.error} />
      {transfers.length === 0 ? (
        phase === 'loading' ? (
          <p className="muted">Reading…</p>
        ) : (
          <p className="empty">
            Nothing is being sent or received. To send files, use “Send files…” on a peer’s card in Peers
            {desktopFiles() ? ' (or drop files on it)' : ''}, or run{' '}
            <code>clawbridge file send PEER PATH…</code>.
          </p>
        )
      ) : (
        <ul className="transfers" aria-label="Transfers">
          {[...moving, ...ended].map((t) => (
            <TransferRow key={t.id} t={t} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TransferRow({ t }: { t: TransferInfo }) {
  const files = useService(FILES);
  const self = useAgent((s) => s.status?.name ?? 'this device');
  const action = useAction();
  const title = transferTitle(t);
  const labelId = useId();
  const grant = grantText(t, self);
  const tone = t.state === 'done' ? 'ok' : finished(t) ? 'down' : t.state === 'waiting' ? 'warn' : 'busy';
  return (
    <li className={`card transfer transfer-${t.state}`} aria-labelledby={labelId}>
      <div className="card-head">
        <h3 id={labelId}>{title}</h3>
        <StatusDot tone={tone} text={t.state === 'done' ? 'done, every file verified' : t.state} />
      </div>
      <TransferProgress t={t} labelledBy={labelId} />
      <p className="meta">
        <span>{progressText(t)}</span>
      </p>
      {t.why && t.state !== 'done' ? (
        <p className={t.state === 'failed' ? 'why-line state-bad' : 'why-line'}>{stateText(t)}</p>
      ) : null}
      {grant ? <p className="why">{grant}</p> : null}
      {finished(t) ? null : (
        <div className="actions">
          <button
            type="button"
            onClick={() => action.start(() => files.cancel(t.id))}
            aria-label={`Cancel ${title}`}
            disabled={action.busy}
          >
            Cancel
          </button>
        </div>
      )}
      <ErrorText error={action.error} />
    </li>
  );
}

function Received() {
  const received = useFiles((s) => s.received);
  const phase = useFiles((s) => s.phase);
  const headingId = useId();
  const dirId = useId();
  const helpId = useId();
  const desktop = desktopFiles();
  const [dir, setDir] = useState('');
  useEffect(() => {
    if (!desktop) return;
    let live = true;
    desktop.downloads().then(
      (d) => live && setDir((now) => now || d),
      () => undefined,
    );
    return () => {
      live = false;
    };
    // Once: desktopFiles() is a new object each render; the bridge behind it is not.
  }, []);
  return (
    <section className="files-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Received</h2>
      {received.length === 0 ? (
        phase === 'loading' ? null : (
          <p className="empty">
            Nothing received. Files a peer sends arrive here once every byte is verified; the peer needs the
            “Send files here” permission (Peers → Permissions).
          </p>
        )
      ) : (
        <>
          <div className="move-to">
            <label htmlFor={dirId}>Move received files to</label>
            <input
              id={dirId}
              type="text"
              value={dir}
              spellCheck={false}
              placeholder="/home/you/Downloads"
              aria-describedby={helpId}
              onChange={(e) => setDir(e.target.value)}
            />
            <p className="muted small-text" id={helpId}>
              {desktop
                ? 'Your Downloads folder unless you change it.'
                : 'A full path on the machine where the agent runs (made if missing), e.g. its Downloads folder.'}
            </p>
          </div>
          <ul className="received" aria-label="Received files">
            {[...received].reverse().map((r) => (
              <ReceivedRow key={r.id} r={r} dir={dir.trim()} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ReceivedRow({ r, dir }: { r: ReceivedInfo; dir: string }) {
  const { toasts } = useServices();
  const files = useService(FILES);
  const action = useAction();
  const desktop = desktopFiles();
  const labelId = useId();
  const title = `${namesText(r.names)} from ${r.from.name}`;
  const [movedTo, setMovedTo] = useState<string | null>(null);
  const move = () =>
    action.start(async () => {
      if (!dir) throw new Error('Say where to move them first (the field above).');
      const out = await files.moveOut(dir, [r.id]);
      const moved = out.moved.map((m) => m.to);
      if (out.skipped.length > 0)
        throw new Error(`${out.skipped.map((s) => `${s.name}: ${s.why}`).join('; ')} (left in the inbox)`);
      toasts.show(`Moved ${namesText(r.names)} to ${dir}`);
      setMovedTo(moved.length > 0 ? dir : null);
    });
  const remove = () => action.start(() => files.remove([r.id]));
  return (
    <li className="card received-entry" aria-labelledby={labelId}>
      <h3 id={labelId}>{title}</h3>
      <p className="meta">
        <span>
          {r.files} {r.files === 1 ? 'file' : 'files'}, {formatBytes(r.bytes)}
        </span>
        <span>{new Date(r.receivedAt).toLocaleString()}</span>
      </p>
      <ul className="names" aria-label={`Names in ${title}`}>
        {r.names.map((n) => (
          <li key={n}>
            <code>{n}</code>
          </li>
        ))}
      </ul>
      {r.renamed.length > 0 ? (
        <p className="muted small-text">
          Renamed here: {r.renamed.map((x) => `${x.from} → ${x.to}`).join(', ')}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={move}
          disabled={action.busy}
          aria-label={`Move ${title} to ${dir || 'a folder'}`}
        >
          {/[\\/]Downloads$/.test(dir) ? 'Move to Downloads' : 'Move out'}
        </button>
        <button
          type="button"
          className="danger"
          onClick={remove}
          disabled={action.busy}
          aria-label={`Delete ${title}`}
        >
          Delete
        </button>
        {desktop && movedTo ? (
          <button type="button" onClick={() => action.start(() => desktop.openFolder(movedTo))}>
            Open folder
          </button>
        ) : null}
      </div>
      <ErrorText error={action.error} />
    </li>
  );
}

function Shares() {
  const store = useService(SHARES);
  const shares = useStore(store, (s) => s.shares);
  const sharesError = useStore(store, (s) => s.error);
  const headingId = useId();
  return (
    <section className="files-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Shares</h2>
      <ErrorText error={sharesError} />
      {shares.length === 0 ? (
        <p className="empty">
          No shared folders. To publish a folder read-only over HTTP on a peer’s address, run{' '}
          <code>clawbridge share DIR --via PEER --listen PORT</code>; the peer needs the “Listen on ports
          here” permission.
        </p>
      ) : (
        <ul className="shares" aria-label="Shares">
          {shares.map((s) => (
            <ShareRow key={s.name} s={s} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ShareRow({ s }: { s: ShareInfo }) {
  const { toasts } = useServices();
  const shares = useService(SHARES);
  const action = useAction();
  const labelId = useId();
  const stop = () =>
    action.start(async () => {
      await shares.stop(s.name);
      toasts.show(`Share ${s.name} stopped`);
    });
  const listening = s.state === 'listening';
  return (
    <li className="card share" aria-labelledby={labelId}>
      <div className="card-head">
        <h3 id={labelId}>{s.name}</h3>
        <StatusDot
          tone={listening ? 'ok' : s.state === 'error' ? 'down' : 'warn'}
          text={listening ? 'listening' : s.state === 'error' ? 'not listening' : s.state}
        />
      </div>
      <p className="meta">
        <span>
          <code>{s.dir}</code> via {s.via}
        </span>
        <span>
          <a href={s.url} target="_blank" rel="noreferrer noopener">
            {s.url}
          </a>
        </span>
        {s.password ? <span>password asked</span> : null}
        <span>
          {s.open} open, {formatBytes(s.bytesSent)} sent
        </span>
      </p>
      {s.error ? <p className="why">{s.error}</p> : null}
      <div className="actions">
        <CopyButton text={s.url} label={`Copy URL of ${s.name}`} />
        <button
          type="button"
          className="danger"
          onClick={stop}
          disabled={action.busy}
          aria-label={`Stop share ${s.name}`}
        >
          Stop
        </button>
      </div>
      <ErrorText error={action.error} />
    </li>
  );
}
