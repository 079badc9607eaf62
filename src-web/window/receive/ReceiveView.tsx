/**
 * The page's **Receive code** (ADR 0124 §The page): a code or a sender's link, **Receive**, then who
 * sent (name and fingerprint, to compare with the sender's screen) and what (names and sizes), and
 * **Save** (one file: the offer's only one, or in a file's row the one of several, which the sender
 * then sends alone; one after another as the person asks) or **Save all** (a zip, while nothing was
 * saved alone yet): downloads streamed to disk as the files arrive, each
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
import type { FilesStreamReceiver } from '../../node/file-code-stream.js';
import { Arrivals, saveFiles, saveOne } from './save-files.js';

/** Most files listed by name (the rest are counted). */
const LISTED = 50;

type Phase =
  | { at: 'code' }
  | { at: 'meeting' }
  | {
      at: 'offered';
      receiver: PageCodeReceiver;
      entries?: OfferEntry[];
      reconnecting?: boolean;
      /** The files saved alone so far, by index. */
      saved?: readonly number[];
    }
  | {
      at: 'saving';
      receiver: PageCodeReceiver;
      entries: OfferEntry[];
      /** Bytes taken by downloads since the page received; `from` of them before this save began. */
      bytes: number;
      from: number;
      /** The bytes this save takes: the offer's, or the one file's. */
      max: number;
      reconnecting?: boolean;
      saved: readonly number[];
    }
  | { at: 'saved'; receiver: PageCodeReceiver; entries: OfferEntry[] };

/** The indices of an offer's files (not its folders or links). */
const fileIndices = (entries: readonly OfferEntry[]) =>
  [...entries.keys()].filter((i) => entries[i]!.kind === 'file');

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function ReceiveView({ options, initialCode }: { options: CodeReceiverOptions; initialCode: string }) {
  const [code, setCode] = useState(initialCode);
  const [phase, setPhase] = useState<Phase>({ at: 'code' });
  const [error, setError] = useState<string | null>(null);
  /** The sender's files stream once it opened, and the files as they arrive. */
  const files = useRef<{ stream: FilesStreamReceiver; arrivals: Arrivals } | undefined>(undefined);
  /** Bytes taken by downloads so far, over every save. */
  const taken = useRef(0);

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
        progress: (bytes) => {
          taken.current = bytes;
          setPhase((p) => (p.at === 'saving' ? { ...p, bytes } : p));
        },
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

  /** Saves every file (`only` undefined), or file `only` alone, after those `saved` alone before. */
  const save = (
    receiver: PageCodeReceiver,
    entries: OfferEntry[],
    saved: readonly number[],
    only?: number,
  ) => {
    const f = files.current;
    if (!f) return;
    setError(null);
    const one = only === undefined ? undefined : entries[only];
    setPhase((p) => ({
      at: 'saving',
      receiver,
      entries,
      bytes: taken.current,
      from: taken.current,
      max: one?.kind === 'file' ? one.size : receiver.sender.offer.bytes,
      reconnecting: p.at === 'offered' && p.reconnecting === true,
      saved,
    }));
    f.stream.take(only === undefined ? undefined : [only]);
    const saving =
      only === undefined
        ? saveFiles(entries, f.arrivals, receiver.sender.offer.names)
        : saveOne(f.arrivals, only);
    saving.then(
      () => {
        const now = only === undefined ? fileIndices(entries) : [...saved, only];
        if (now.length < fileIndices(entries).length)
          return setPhase((p) => ({
            at: 'offered',
            receiver,
            entries,
            saved: now,
            reconnecting: p.at === 'saving' && p.reconnecting === true,
          }));
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
        <Offer phase={phase} onSave={(entries, saved, only) => save(phase.receiver, entries, saved, only)} />
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
  onSave: (entries: OfferEntry[], saved: readonly number[], only?: number) => void;
}) {
  const { sender, identity } = phase.receiver;
  const entries = phase.entries;
  const offered = entries?.flatMap((e, index) => (e.kind === 'file' ? [{ e, index }] : [])) ?? [];
  const total = sender.offer.bytes;
  const single = entries !== undefined && entries.length === 1 && offered.length === 1;
  const saved = phase.at === 'offered' || phase.at === 'saving' ? (phase.saved ?? []) : [];
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
          {offered.slice(0, LISTED).map(({ e, index }) => (
            <li key={e.path}>
              {e.path} <span className="receive-size">{formatBytes(e.size)}</span>
              {single ? null : saved.includes(index) ? (
                <span className="receive-saved"> saved</span>
              ) : phase.at === 'offered' ? (
                <>
                  {' '}
                  <ActionButton
                    aria-label={`Save ${e.path}`}
                    unavailable={false}
                    onClick={() => entries && onSave(entries, saved, index)}
                  >
                    Save
                  </ActionButton>
                </>
              ) : null}
            </li>
          ))}
          {offered.length > LISTED ? <li>… and {offered.length - LISTED} more</li> : null}
        </ul>
      ) : (
        <p role="status">Connecting to {sender.name}…</p>
      )}
      {phase.at === 'offered' && entries && saved.length === 0 ? (
        <ActionButton className="primary" unavailable={false} onClick={() => onSave(entries, saved)}>
          {single ? 'Save' : 'Save all'}
        </ActionButton>
      ) : null}
      {phase.at === 'saving' ? (
        <p role="status">
          <progress max={phase.max} value={phase.bytes - phase.from} aria-label="Received" />{' '}
          {formatBytes(phase.bytes - phase.from)} of {formatBytes(phase.max)}
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
