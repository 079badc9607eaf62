import { useEffect, useRef, useState } from 'react';
import type { PairingEvent, Permission } from '../../../src-main/api/contract.js';
import { useServices } from '../../api/hooks.js';
import { ErrorText } from '../../components/ErrorText.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { defaultAllow } from '../permission-words.js';
import { usePermissionWords } from '../registry.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { codeProblem, looksLikeInvite, normalizeCode } from '../../lib/format.js';
import {
  JOIN_IDLE,
  JOIN_NEWS_MS,
  JOIN_STEPS,
  joinNews,
  nextJoin,
  stepState,
  type JoinProgress,
} from './pair-steps.js';
import { useNews } from '../../lib/use-news.js';
import { messageOf } from '../../api/client.js';
import { ActionButton } from '../../components/ActionButton.js';
import { selfName } from '../../lib/self-name.js';

/** The mark before each step (hidden from screen readers: the words and aria-current say it). */
const STEP_GLYPH = { done: '✓', current: '…', todo: '·', failed: '✗' } as const;

/**
 * Enters another device's code (or invite link) and follows the join: finding → checking → waiting
 * for approval → paired / rejected / wrong or expired code.
 */
export function JoinWithCode({
  initial,
  running,
  onDone,
}: {
  initial: string;
  /** A join the agent is running already (the window was reloaded): followed from where it stands. */
  running?: PairingEvent | undefined;
  onDone: () => void;
}) {
  const { client, store, nav, platform } = useServices();
  // A node that grants nothing (the browser, ADR 0094: it only dials) has nothing to choose here.
  const grants = client.serves('peers.allow');
  const [code, setCode] = useState(initial);
  const [progress, setProgress] = useState<JoinProgress>(() =>
    running ? nextJoin({ ...JOIN_IDLE, phase: 'finding' }, running) : JOIN_IDLE,
  );
  const [error, setError] = useState<string | null>(null);
  /** What the device joined may do here once paired: the same boxes and defaults as Approve offers. */
  const words = usePermissionWords();
  const [allow, setAllow] = useState(() => defaultAllow<Permission>(words));
  /** One of the owner's devices (ADR 0056): the two introduce each other to the owner's others. */
  const [asMine, setAsMine] = useState(false);
  /** Bumped by Cancel, so the answer to an abandoned join is ignored. */
  const attempt = useRef(0);

  useEffect(
    () =>
      store.onAgentEvent((event, data) => {
        if (event === 'pairing')
          setProgress((p) => (p.phase === 'idle' ? p : nextJoin(p, data as PairingEvent)));
      }),
    [store],
  );

  const join = () => {
    // Not a code at all ("hello"): said beside the field at once, and nothing is sent.
    const problem = codeProblem(code);
    if (problem) {
      setError(problem);
      setProgress(JOIN_IDLE);
      codeField.current?.focus();
      return;
    }
    const mine = ++attempt.current;
    const sent = normalizeCode(code);
    setError(null);
    setProgress({ ...JOIN_IDLE, phase: 'finding' });
    client.call('pair.join', { code: sent, allow, ...(asMine ? { mine: true } : {}) }).then(
      (r) => {
        if (mine !== attempt.current) return;
        setProgress((p) => ({ ...p, phase: 'paired', peerName: r.name, fingerprint: r.fingerprint }));
      },
      (err: unknown) => {
        if (mine !== attempt.current) return;
        const why = (err as { code?: string }).code;
        const rejected = why === 'PAIRING_REJECTED';
        setProgress((p) => ({ ...p, phase: rejected ? 'rejected' : 'failed', message: messageOf(err) }));
        // A code refused (invalid, expired, already used) or spent on a rejection is no use again: the
        // field empties for the next one, and the line says which code it was.
        const spent = rejected || why === 'BAD_PAIR_CODE';
        if (spent) setCode('');
        if (!rejected)
          setError(spent && !looksLikeInvite(sent) ? `${sent}: ${messageOf(err)}` : messageOf(err));
      },
    );
  };
  // Each step is said as the join reaches it, in the view's one region that is always there.
  const news = useNews(progress, joinNews, JOIN_NEWS_MS);
  const busy = progress.phase === 'finding' || progress.phase === 'checking' || progress.phase === 'waiting';
  const codeField = useRef<HTMLInputElement>(null);
  const paired = progress.phase === 'paired';
  useEffect(() => {
    // The code is spent once it paired (a second Join with it could only fail, under "Paired with …"):
    // the field empties, and Join waits for a new code, which starts a new join.
    if (paired) setCode('');
  }, [paired]);
  const ended = progress.phase === 'failed' || progress.phase === 'rejected';
  useEffect(() => {
    // The join failed or was refused: Cancel, which had the focus, is gone. Back to the code, to fix
    // or replace it — unless the focus went somewhere on purpose meanwhile (not to the page, nor to
    // the view that useFocusRescue falls back to).
    const active = document.activeElement;
    const lost = active === null || active === document.body || active.contains(codeField.current);
    if (ended && lost) codeField.current?.focus();
  }, [ended]);
  const cancel = () => {
    attempt.current++;
    // The agent stops the join too, and the other device's request is withdrawn: no late approval
    // can pair this device after all. (A join that has just ended has nothing left to cancel.)
    if (busy) client.call('pair.cancel', { code: normalizeCode(code) }).catch(() => undefined);
    setProgress(JOIN_IDLE);
    onDone();
  };

  return (
    <section className="pair-panel" aria-label="Join with code">
      <p className="visually-hidden" role="status">
        {news}
      </p>
      <form
        className="join-form"
        onSubmit={(e) => {
          e.preventDefault();
          join();
        }}
      >
        <label className="field">
          {/* Where this node shows codes too, Pair's own header says which code this is. */}
          <span>{client.serves('pair.new') ? 'Code' : 'Pairing code'}</span>
          <input
            value={code}
            onChange={(e) => setCode(e.target.value)}
            // Short enough to show whole in a 320 px window; a full invite link is accepted too.
            placeholder="K7QX-M2RT-9WZA or invite link"
            autoComplete="off"
            spellCheck={false}
            autoFocus
            ref={codeField}
            // Where the focus goes when the join ended without pairing (Cancel, which had it, is gone).
            data-focus-main={ended || undefined}
            // Read-only, not disabled, while joining: a disabled field would drop the focus to the page.
            readOnly={busy}
            aria-disabled={busy}
            aria-invalid={!!error}
            aria-describedby="join-error"
          />
        </label>
        {/* Chosen before the join: the pairing ends with the other device a peer that may do this here. */}
        {busy || !grants ? null : (
          <PermissionBoxes value={allow} onChange={setAllow} legend="The other device may" />
        )}
        {busy || !grants ? null : (
          <label className="check">
            <input type="checkbox" checked={asMine} onChange={(e) => setAsMine(e.target.checked)} />
            This is one of my devices
          </label>
        )}
        <ActionButton type="submit" className="primary" unavailable={busy || code.trim() === ''}>
          Join
        </ActionButton>
      </form>
      {/* A join followed after a reload learns its failure from the agent's event, not from a reply. */}
      <ErrorText error={error ?? (progress.phase === 'failed' ? progress.message : null)} id="join-error" />
      {progress.phase !== 'idle' && progress.phase !== 'failed' ? (
        <ol className="steps" aria-label="Progress">
          {JOIN_STEPS.map((s) => {
            const state = stepState(progress, s.phase);
            return (
              <li
                key={s.phase}
                className={`step step-${state}`}
                aria-current={state === 'current' ? 'step' : undefined}
              >
                <span aria-hidden="true">{STEP_GLYPH[state]}</span> {s.text}
                {s.phase === 'waiting' && state !== 'todo' && progress.peerName
                  ? ` from ${progress.peerName}`
                  : ''}
                {state === 'failed' ? <span className="visually-hidden"> — failed</span> : null}
              </li>
            );
          })}
        </ol>
      ) : null}
      {progress.phase === 'waiting' && progress.fingerprint ? (
        <div className="fingerprints">
          <Fingerprint
            value={progress.fingerprint}
            label={progress.peerName ? `${progress.peerName}'s fingerprint` : 'Their fingerprint'}
          />
          {progress.ownFingerprint ? (
            <Fingerprint
              value={progress.ownFingerprint}
              label={`${selfName(platform).title}'s fingerprint`}
            />
          ) : null}
        </div>
      ) : null}
      {progress.phase === 'paired' ? (
        <>
          <p className="outcome ok">✓ Paired with {progress.peerName}.</p>
          {/* Takes the focus from Cancel, which goes when the join succeeds. */}
          <button type="button" onClick={() => nav.go('peers')} data-focus-main>
            Show peers
          </button>
        </>
      ) : null}
      {progress.phase === 'rejected' ? (
        <p className="outcome bad">{progress.peerName ?? 'The other device'} rejected this device.</p>
      ) : null}
      {busy ? (
        <div className="actions">
          {/* While joining this is what can be done: the focus moves here (back to the code after). */}
          <button type="button" onClick={cancel} autoFocus>
            Cancel
          </button>
        </div>
      ) : null}
    </section>
  );
}
