/**
 * The page's **Receive code** (ADR 0124 §The page): a code or a sender's link, **Receive**, then who
 * sent (name and fingerprint, to compare with the sender's screen) and what (names and sizes), and
 * **Save** (one file) or **Save all** (a zip): downloads streamed to disk as the files arrive, each
 * file's SHA-256 checked before its download completes. A link that drops on the way says so while the
 * page dials the sender again; the downloads carry on from where they stopped.
 */
import { useRef, useState } from 'react';
import { ActionButton } from '../../../src-renderer/components/ActionButton.js';
import { ErrorText } from '../../../src-renderer/components/ErrorText.js';
import { Fingerprint } from '../../../src-renderer/components/Fingerprint.js';
import { formatBytes } from '../../../src-renderer/lib/format.js';
import type { OfferEntry } from '../../../src-main/protocol/file-frames-wire.js';
import { PageCodeReceiver, type CodeReceiverOptions } from '../../node/file-code-receiver.js';
import type { FilesStreamReceiver, OfferedFile } from '../../node/file-code-stream.js';
import { Arrivals, saveFiles } from './save-files.js';

/** Most files listed by name (the rest are counted). */
const LISTED = 50;

type Phase =
  | { at: 'code' }
  | { at: 'meeting' }
  | { at: 'offered'; receiver: PageCodeReceiver; entries?: OfferEntry[]; reconnecting?: boolean }
  | {
      at: 'saving';
      receiver: PageCodeReceiver;
      entries: OfferEntry[];
      bytes: number;
      reconnecting?: boolean;
    }
  | { at: 'saved'; receiver: PageCodeReceiver; entries: OfferEntry[] };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function ReceiveView({ options, initialCode }: { options: CodeReceiverOptions; initialCode: string }) {
  const [code, setCode] = useState(initialCode);
  const [phase, setPhase] = useState<Phase>({ at: 'code' });
  const [error, setError] = useState<string | null>(null);
  /** The sender's files stream once it opened, and the files as they arrive. */
  const files = useRef<{ stream: FilesStreamReceiver; arrivals: Arrivals } | undefined>(undefined);

  const receive = async () => {
    setError(null);
    setPhase({ at: 'meeting' });
    let receiver: PageCodeReceiver;
    try {
      receiver = await PageCodeReceiver.meet(options, code.trim());
    } catch (err) {
      setPhase({ at: 'code' });
      return setError(message(err));
    }
    setPhase({ at: 'offered', receiver });
    const arrivals = new Arrivals();
    const reconnecting = (now: boolean) =>
      setPhase((p) => (p.at === 'offered' || p.at === 'saving' ? { ...p, reconnecting: now } : p));
    const resumed = () => reconnecting(false);
    receiver
      .connect({
        offered: (entries) => setPhase({ at: 'offered', receiver, entries: [...entries] }),
        file: (f) => arrivals.push(f),
        progress: (bytes) => setPhase((p) => (p.at === 'saving' ? { ...p, bytes } : p)),
        interrupted: () => reconnecting(true),
        resumed,
        done: () => arrivals.end(),
        failed: (err) => {
          arrivals.fail(err);
          setError(err.message);
          resumed();
        },
      })
      .then((stream) => (files.current = { stream, arrivals }))
      .catch((err: unknown) => setError(message(err)));
  };

  const save = (receiver: PageCodeReceiver, entries: OfferEntry[]) => {
    const f = files.current;
    if (!f) return;
    setError(null);
    setPhase((p) => ({
      at: 'saving',
      receiver,
      entries,
      bytes: 0,
      reconnecting: p.at === 'offered' && p.reconnecting === true,
    }));
    f.stream.take();
    saveFiles(entries, f.arrivals, receiver.sender.offer.names).then(
      () => {
        setPhase({ at: 'saved', receiver, entries });
        // The link stays until the sender read the COMPLETE and ended its side.
        f.stream.settled.finally(() => receiver.close('received')).catch(() => undefined);
      },
      (err: unknown) => {
        setError(`not saved: ${message(err)}`);
        f.stream.cancel(message(err));
        receiver.close('failed');
      },
    );
  };

  return (
    <main className="view receive-view" aria-label="Receive files">
      <header className="view-header">
        <h1>Receive files</h1>
      </header>
      {phase.at === 'code' || phase.at === 'meeting' ? (
        <form
          className="join-form"
          onSubmit={(e) => {
            e.preventDefault();
            receive().catch((err: unknown) => setError(message(err)));
          }}
        >
          <label className="field">
            <span>Receive code</span>
            <input
              value={code}
              onChange={(e) => setCode(e.target.value)}
              placeholder="K7QX-M2RT-9WZA or the sender's link"
              autoComplete="off"
              spellCheck={false}
              autoFocus
              readOnly={phase.at === 'meeting'}
              aria-invalid={!!error}
              aria-describedby="receive-error"
            />
          </label>
          <ActionButton
            type="submit"
            className="primary"
            unavailable={phase.at === 'meeting' || code.trim() === ''}
          >
            Receive
          </ActionButton>
        </form>
      ) : (
        <Offer phase={phase} onSave={(entries) => save(phase.receiver, entries)} />
      )}
      <ErrorText error={error} id="receive-error" />
    </main>
  );
}

function Offer({
  phase,
  onSave,
}: {
  phase: Exclude<Phase, { at: 'code' } | { at: 'meeting' }>;
  onSave: (entries: OfferEntry[]) => void;
}) {
  const { sender, identity } = phase.receiver;
  const entries = phase.entries;
  const offered = entries?.filter((e): e is OfferedFile => e.kind === 'file') ?? [];
  const total = sender.offer.bytes;
  const single = entries !== undefined && entries.length === 1 && offered.length === 1;
  return (
    <section aria-label="Offer">
      <p>
        From <strong>{sender.name}</strong>: {sender.offer.files}{' '}
        {sender.offer.files === 1 ? 'file' : 'files'} ({formatBytes(total)})
      </p>
      <Fingerprint value={sender.fingerprint} label="Sender's fingerprint" />
      <Fingerprint value={identity.fingerprint} label="This page's fingerprint (the sender sees it)" />
      {entries ? (
        <ul className="receive-files" aria-label="Files">
          {offered.slice(0, LISTED).map((e) => (
            <li key={e.path}>
              {e.path} <span className="receive-size">{formatBytes(e.size)}</span>
            </li>
          ))}
          {offered.length > LISTED ? <li>… and {offered.length - LISTED} more</li> : null}
        </ul>
      ) : (
        <p role="status">Connecting to {sender.name}…</p>
      )}
      {phase.at === 'offered' && entries ? (
        <ActionButton className="primary" unavailable={false} onClick={() => onSave(entries)}>
          {single ? 'Save' : 'Save all'}
        </ActionButton>
      ) : null}
      {phase.at === 'saving' ? (
        <p role="status">
          <progress max={total} value={phase.bytes} aria-label="Received" /> {formatBytes(phase.bytes)} of{' '}
          {formatBytes(total)}
        </p>
      ) : null}
      {(phase.at === 'offered' || phase.at === 'saving') && phase.reconnecting ? (
        <p role="status" className="receive-reconnecting">
          <span aria-hidden="true">⟳ </span>Connection lost — reconnecting…
        </p>
      ) : null}
      {phase.at === 'saved' ? <p role="status">Saved: every file verified.</p> : null}
    </section>
  );
}
