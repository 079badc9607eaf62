import { useId, useState } from 'react';
import { useAgent, useService, useStore } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { useAction } from '../../lib/use-action.js';
import { CODE_OFFERS } from './code-offers-store.js';
import { OFFER_LIFETIMES } from './code-offer-text.js';
import { CodeOfferCard } from './CodeOffers.js';
import { parsePaths, pathsProblem } from './files-text.js';
import { PathsField } from './PathsField.js';

/**
 * "Send to anyone": the paths and how long the code works, then the code and link to hand over, where
 * the offer stands, and Cancel. Closing leaves the offer open; the Files view lists it (CodeOffers).
 */
export function SendCodeDialog({ onClose }: { onClose: () => void }) {
  const offers = useService(CODE_OFFERS);
  const self = useAgent((s) => s.status?.name ?? 'this device');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [lifetime, setLifetime] = useState<number>(OFFER_LIFETIMES[0].seconds);
  const [made, setMade] = useState<string | null>(null);
  const action = useAction();
  const lifetimeId = useId();
  // The offer as the store keeps it live (taken, progress, ended), once made.
  const offer = useStore(offers, (s) => (made ? s.offers.find((o) => o.id === made) : undefined));

  const send = () => {
    const paths = parsePaths(text);
    const bad = pathsProblem(paths);
    setProblem(bad);
    if (bad) return;
    action.start(async () => {
      const o = await offers.send(paths, lifetime);
      setMade(o.id);
    });
  };

  return (
    <Dialog title="Send to anyone" onClose={onClose}>
      {offer ? (
        <div className="dialog-body send-code">
          <p>Give the other person this code or link. It works once; nothing is kept of them afterwards.</p>
          <ul className="transfers" aria-label="The offer">
            <CodeOfferCard offer={offer} />
          </ul>
          <div className="actions">
            <button type="button" className="primary" onClick={onClose} autoFocus>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form
          className="dialog-body send-files"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <p>
            For someone who is not paired: you get a one-time code and a link, and they receive the files in
            any browser or with <code>clawbridge file receive</code>.
          </p>
          <PathsField
            text={text}
            onText={(t) => {
              setText(t);
              setProblem(null);
            }}
            self={self}
            invalid={problem !== null}
            browserHelp={
              <>
                One full path a line, on {self}’s machine, where its agent runs (a browser cannot tell the
                agent where a file on this computer is). Folders are sent with everything in them. From a
                terminal there: <code>clawbridge file send PATH… --code</code>
              </>
            }
          />
          <label htmlFor={lifetimeId}>The code works for</label>
          <select id={lifetimeId} value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))}>
            {OFFER_LIFETIMES.map((l) => (
              <option key={l.seconds} value={l.seconds}>
                {l.label}
              </option>
            ))}
          </select>
          <ErrorText error={problem ?? action.error} />
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Reading the files…' : 'Make a code'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
