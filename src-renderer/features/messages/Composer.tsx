/**
 * Writes a message to the open conversation's peer: Enter sends, Shift+Enter starts a new line (and
 * Enter while an input method composes a word is the input method's). A body over 1 MiB is refused at
 * once, naming the limit, and nothing is queued; a message to an offline peer is queued and says so.
 */
import { useId, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { useService } from '../../api/hooks.js';
import { MAX_BODY_BYTES, MESSAGES, tooLargeText, utf8Bytes } from './messages-store.js';
import { ActionButton } from '../../components/ActionButton.js';
import { ErrorText } from '../../components/ErrorText.js';
import { formatBytes } from '../../lib/format.js';
import { peerState } from '../../lib/peer-text.js';
import { useAction } from '../../lib/use-action.js';
import { queuedText } from './conversations.js';

/** From this size on, the composer shows how much of the 1 MiB a message may hold is used. */
const SHOW_SIZE_FROM = MAX_BODY_BYTES / 2;

export function Composer({
  peer,
  onSending,
}: {
  peer: PeerInfo;
  /** Called as a message is sent: the conversation then shows it, scrolled to. */
  onSending?: () => void;
}) {
  const messages = useService(MESSAGES);
  const [text, setText] = useState('');
  const [said, setSaid] = useState('');
  const [tooLarge, setTooLarge] = useState<string | null>(null);
  const action = useAction();
  const id = useId();
  const size = text.length * 3 < SHOW_SIZE_FROM ? 0 : utf8Bytes(text);
  const send = () => {
    if (text.trim() === '' || action.busy) return;
    const bytes = utf8Bytes(text);
    if (bytes > MAX_BODY_BYTES) {
      action.clear();
      setSaid('');
      setTooLarge(tooLargeText(bytes));
      return;
    }
    setTooLarge(null);
    setSaid('');
    onSending?.();
    action.start(async () => {
      await messages.send(peer.fingerprint, text);
      setText('');
      setSaid(queuedText(peer.name, peerState(peer) === 'online'));
    });
  };
  const error = tooLarge ?? action.error;
  return (
    <form
      className="composer"
      aria-label={`Message to ${peer.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label className="field">
        <span>Message to {peer.name}</span>
        <textarea
          rows={3}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (tooLarge) setTooLarge(null);
            // What the last send said is old news once the next message is being written.
            if (said) setSaid('');
          }}
          onKeyDown={(e) => {
            if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return;
            e.preventDefault();
            send();
          }}
          aria-invalid={error !== null}
          aria-describedby={`${id}-keys ${id}-error`}
        />
      </label>
      <div className="composer-row">
        <p className="hint" id={`${id}-keys`}>
          Enter sends, Shift+Enter starts a new line.
          {size > 0 ? ` ${formatBytes(size)} of 1 MiB.` : null}
        </p>
        <ActionButton type="submit" className="primary" unavailable={action.busy || text.trim() === ''}>
          Send
        </ActionButton>
      </div>
      <ErrorText error={error} id={`${id}-error`} />
      {/* There from the start, so a screen reader says what it gets (a region added with its text is not). */}
      <p className="composer-said muted small-text" role="status">
        {said}
      </p>
    </form>
  );
}
