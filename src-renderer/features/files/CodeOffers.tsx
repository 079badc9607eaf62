import { useEffect, useId, useState } from 'react';
import type { CodeOfferInfo } from '../../../src-main/files/files-contract.js';
import { useService, useStore } from '../../api/hooks.js';
import { TransferProgress } from './TransferProgress.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { StatusDot } from '../../components/StatusDot.js';
import { useAction } from '../../lib/use-action.js';
import { CODE_OFFERS, offerEnded } from './code-offers-store.js';
import { offerStateText, offerTitle } from './code-offer-text.js';
import { progressText } from './files-text.js';

/** The clock, once a second while `ticking` (an open offer's time left); still otherwise. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  return now;
}

/**
 * One offer made with a code: the code to read out and the link to send, where it stands (its time
 * left, who took it, the transfer's progress, how it ended), and Cancel while it is open.
 */
export function CodeOfferCard({ offer }: { offer: CodeOfferInfo }) {
  const offers = useService(CODE_OFFERS);
  const cancel = useAction();
  const now = useNow(offer.state === 'open');
  const labelId = useId();
  const ended = offerEnded(offer);
  const title = offerTitle(offer);
  const tone = offer.state === 'done' ? 'ok' : ended ? 'down' : offer.state === 'open' ? 'warn' : 'busy';
  // What `file send --code` prints too: the relay's page for a browser, the command for a CLI.
  const command = `clawbridge file receive '${offer.link}'`;
  return (
    <li className={`card code-offer code-offer-${offer.state}`} aria-labelledby={labelId}>
      <div className="card-head">
        <h3 id={labelId}>{title}</h3>
        <StatusDot tone={tone} text={offer.state} />
      </div>
      {ended ? null : (
        <>
          <div className="code-row">
            <output className="offer-code" aria-label="Code">
              {offer.code}
            </output>
            <CopyButton text={offer.code} label="Copy code" />
          </div>
          {offer.page ? (
            <div className="offer-link">
              <span>In any browser:</span>
              <code>{offer.page}</code>
              <CopyButton text={offer.page} label="Copy link" />
            </div>
          ) : null}
          <div className="offer-link">
            <span>With Clawbridge (no pairing):</span>
            <code>{command}</code>
            <CopyButton text={command} label="Copy command" />
          </div>
        </>
      )}
      <p
        className={offer.state === 'failed' ? 'why-line state-bad' : 'why-line'}
        role="timer"
        aria-live="off"
      >
        {offerStateText(offer, now)}
      </p>
      {offer.progress && offer.state === 'taken' ? (
        <>
          <TransferProgress t={offer.progress} labelledBy={labelId} />
          <p className="meta">{progressText(offer.progress)}</p>
        </>
      ) : null}
      {ended ? null : (
        <div className="actions">
          <button
            type="button"
            onClick={() => cancel.start(() => offers.cancel(offer.id))}
            disabled={cancel.busy}
            aria-label={`Cancel the offer of ${title}`}
          >
            Cancel offer
          </button>
        </div>
      )}
      <ErrorText error={cancel.error} />
    </li>
  );
}

/** The Files view's offers made with a code, open ones first; nothing when there are none. */
export function CodeOffersSection() {
  const offers = useService(CODE_OFFERS);
  const list = useStore(offers, (s) => s.offers);
  const phase = useStore(offers, (s) => s.phase);
  const error = useStore(offers, (s) => s.error);
  const headingId = useId();
  if (phase === 'unsupported' || (list.length === 0 && !error)) return null;
  return (
    <section className="files-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Sent with a code</h2>
      <ErrorText error={error} />
      <ul className="transfers" aria-label="Offers sent with a code">
        {list.map((o) => (
          <CodeOfferCard key={o.id} offer={o} />
        ))}
      </ul>
    </section>
  );
}
