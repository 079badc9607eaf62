import { useEffect, useState } from 'react';
import type { PairingEvent, PairNewResult, Permission } from '../../../src-main/api/contract.js';
import { useAgent, useService, useServices } from '../../api/hooks.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { Fingerprint } from '../../components/Fingerprint.js';
import { PermissionBoxes } from '../../components/PermissionBoxes.js';
import { defaultAllow } from '../permission-words.js';
import { usePermissionWords } from '../registry.js';
import { QrCode } from '../../components/QrCode.js';
import { formatCountdown } from '../../lib/format.js';
import { useAction } from '../../lib/use-action.js';
import { joinedRequest, nextNew, type NewProgress } from './pair-steps.js';
import { ActionButton } from '../../components/ActionButton.js';
import { approveParams } from '../approvals/approve-params.js';
import { PAIR_SCREEN } from './pair-screen.js';

const START: NewProgress = {
  phase: 'showing',
  peerName: null,
  fingerprint: null,
  message: null,
  pendingId: null,
};

/**
 * Shows a fresh one-time code with its invite link and QR code, then follows who uses it. `existing`:
 * a code the agent shows already (the window was reloaded), shown again instead of a new one.
 */
export function PairNew({
  existing,
  onCode,
  onDone,
}: {
  existing?: PairNewResult | undefined;
  /** Told the code on show (to cancel it when a new one replaces it). */
  onCode?: (code: string) => void;
  onDone: () => void;
}) {
  const { client, store } = useServices();
  const pairScreen = useService(PAIR_SCREEN);
  const [code, setCode] = useState<PairNewResult | null>(existing ?? null);
  const [progress, setProgress] = useState<NewProgress>(START);
  const [now, setNow] = useState(Date.now());
  const [chosen, setChosen] = useState<Permission[] | null>(null);
  // One of the owner's devices (ADR 0056); ticked already when the code was made as one of them.
  const [chosenMine, setMine] = useState<boolean | null>(null);
  const create = useAction();
  const act = useAction();
  const own = useAgent((s) => s.status?.fingerprint ?? null);
  const pending = useAgent((s) => s.pending);
  const fresh = defaultAllow<Permission>(usePermissionWords());

  useEffect(() => {
    if (existing) return;
    create.start(async () => setCode(await client.call('pair.new', {})));
    // Only once per mount: PairView remounts this for a new code.
  }, [client, create.run, existing]);
  useEffect(() => {
    if (code) onCode?.(code.code);
  }, [code, onCode]);
  // While the code is up (and a device that used it is shown), its request is told here, not toasted.
  const watching = code !== null && (progress.phase === 'showing' || progress.phase === 'joined');
  useEffect(() => {
    if (!watching || !code) return;
    pairScreen.code = code.code;
    return () => {
      if (pairScreen.code === code.code) pairScreen.code = null;
    };
  }, [watching, code, pairScreen]);
  useEffect(() => {
    if (!code) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    const off = store.onAgentEvent((event, data) => {
      if (event === 'pairing') setProgress((p) => nextNew(p, code.code, data as PairingEvent));
    });
    return () => {
      clearInterval(t);
      off();
    };
  }, [code, store]);

  // Codes live in the agent only: one that restarted under the page no longer has this one, and a
  // device told it would be turned away. So once the agent is back, ask whether the code still exists.
  const connected = useAgent((s) => s.connection.kind === 'connected');
  const showing = progress.phase === 'showing';
  useEffect(() => {
    if (!connected || !code || !showing) return;
    let live = true;
    client.call('pair.list', {}).then(
      ({ codes }) => {
        if (!live || codes.some((c) => c.code === code.code)) return;
        if (Date.parse(code.expiresAt) <= Date.now()) return; // expired: the countdown says so
        setProgress((p) =>
          p.phase === 'showing'
            ? {
                ...p,
                phase: 'failed',
                message: 'this code ended when the agent stopped (codes do not outlive it)',
              }
            : p,
        );
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [connected, code, showing, client]);

  const request = joinedRequest(progress, pending);
  // A node that is already a peer here keeps what it may do unless the boxes are changed.
  const allow = chosen ?? request?.knownAs?.allow ?? fresh;
  const mine = chosenMine ?? request?.mine === true;
  const approve = () =>
    act.start(async () => {
      if (!request) throw new Error('the request is no longer pending (it expired or was answered)');
      await client.call('pending.approve', approveParams(request, allow, mine));
    });
  const reject = () =>
    act.start(async () => {
      if (request) await client.call('pending.reject', { id: request.id });
    });
  const cancel = () =>
    act.start(async () => {
      if (code && progress.phase === 'showing' && Date.parse(code.expiresAt) > Date.now()) {
        await client.call('pair.cancel', { code: code.code });
      }
      onDone();
    });

  if (!code)
    return create.error ? <ErrorText error={create.error} /> : <p className="muted">Creating a code…</p>;
  const left = formatCountdown(code.expiresAt, now);
  return (
    <section className="pair-panel" aria-label="Pair new device">
      {progress.phase === 'showing' ? (
        <>
          <p>On the other device, choose “Join with code” and enter:</p>
          <div className="code-row">
            <output className="pair-code" aria-label="Pairing code">
              {code.code}
            </output>
            <CopyButton text={code.code} label="Copy pairing code" />
          </div>
          <p className="muted" role="timer" aria-live="off">
            {left === 'expired' ? 'This code has expired.' : `Valid for ${left} · single use`}
          </p>
          <div className="invite">
            <QrCode text={code.invite} label="Invite link as a QR code" />
            <div>
              <p>Or send this invite link (it also tells the other device which relay to use):</p>
              <code className="invite-link">{code.invite}</code>
              <CopyButton text={code.invite} label="Copy invite link" />
            </div>
          </div>
          <p className="muted" role="status">
            Waiting for the other device…
          </p>
        </>
      ) : null}
      {/* Only the news is live (said once, in a few words); the details below are read at will. The
          region is always there, so a screen reader notices its text change; the outcome shown below
          is said here too, not by a region of its own inserted with its text. */}
      <p className="visually-hidden" role="status">
        {progress.phase === 'joined'
          ? `${progress.peerName ?? 'A device'} wants to pair`
          : progress.phase === 'paired'
            ? `Paired with ${progress.peerName}`
            : progress.phase === 'rejected'
              ? `Rejected ${progress.peerName ?? 'the device'}`
              : ''}
      </p>
      {progress.phase === 'joined' ? (
        <div className="pair-request">
          <h2>{progress.peerName ?? 'A device'} wants to pair</h2>
          <p>It entered the code. Check that its screen shows the same two fingerprints, then approve.</p>
          <div className="fingerprints">
            {progress.fingerprint ? (
              <Fingerprint
                value={progress.fingerprint}
                label={progress.peerName ? `${progress.peerName}'s fingerprint` : 'Their fingerprint'}
              />
            ) : null}
            {own ? <Fingerprint value={own} label="This device's fingerprint" /> : null}
          </div>
          {request?.knownAs ? (
            <p className="hint" role="note">
              Already a peer here as “{request.knownAs.name}”: it keeps that name and what it may do here, as
              ticked below.
            </p>
          ) : null}
          <PermissionBoxes value={allow} onChange={setChosen} legend={`${progress.peerName ?? 'It'} may`} />
          <label className="check">
            <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} />
            This is one of my devices
          </label>
          <div className="actions">
            <ActionButton className="primary" onClick={approve} unavailable={act.busy}>
              Approve
            </ActionButton>
            <ActionButton className="danger" onClick={reject} unavailable={act.busy}>
              Reject
            </ActionButton>
          </div>
        </div>
      ) : null}
      {progress.phase === 'paired' ? <p className="outcome ok">✓ Paired with {progress.peerName}.</p> : null}
      {progress.phase === 'rejected' ? (
        <p className="outcome">Rejected {progress.peerName ?? 'the device'}.</p>
      ) : null}
      {progress.phase === 'failed' ? (
        <p className="outcome bad" role="alert">
          Pairing failed: {progress.message ?? 'the code was wrong or someone interfered'}. Create a new code
          to try again.
        </p>
      ) : null}
      <ErrorText error={act.error} />
      {/* While the request waits, Approve and Reject are the only choices here (a third button below
          them read as one): Cancel goes with the code on show, Done with the outcome. */}
      {progress.phase === 'joined' ? null : (
        <div className="actions">
          {/* Where the focus goes when Approve or Reject, which had it, goes away. */}
          <button type="button" onClick={cancel} data-focus-main>
            {progress.phase === 'showing' ? 'Cancel' : 'Done'}
          </button>
        </div>
      )}
    </section>
  );
}
