import { useId, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { useAgent, useService, useServices } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { desktopFiles } from '../../lib/desktop-files.js';
import { explainError } from '../../lib/refusal-text.js';
import { FILES } from './files-store.js';
import { followSendNotice } from './send-notice.js';
import { useAction } from '../../lib/use-action.js';
import { namesText, parsePaths, pathsProblem } from './files-text.js';

/**
 * "Send files…" for one peer. The agent sends paths on its own machine: in the desktop app the
 * native picker gives them (and files dropped on the peer's card arrive here as `initial`); in a
 * browser the page cannot learn a file's path, so the paths are typed, one a line.
 */
export function SendFilesDialog({
  peer,
  initial = [],
  onClose,
}: {
  peer: PeerInfo;
  initial?: string[];
  onClose: () => void;
}) {
  const { nav, toasts } = useServices();
  const files = useService(FILES);
  const self = useAgent((s) => s.status?.name ?? 'this device');
  const desktop = desktopFiles();
  const [text, setText] = useState(initial.join('\n'));
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction((err) => explainError(err, peer.name));
  const fieldId = useId();
  const helpId = useId();
  const warnId = useId();
  const refuses = peer.theyAllow !== null && !peer.theyAllow.includes('files');

  const choose = (kind: 'files' | 'folder') =>
    action.start(async () => {
      const chosen = await desktop!.pick(kind);
      if (chosen.length === 0) return;
      setText((t) => [...parsePaths(t), ...chosen].join('\n'));
    });
  const send = () => {
    const paths = parsePaths(text);
    const bad = pathsProblem(paths);
    setProblem(bad);
    if (bad) return;
    action.start(async () => {
      const sent = await files.send(peer.fingerprint, paths);
      const skipped =
        sent.skipped.length > 0 ? ` (${sent.skipped.length} left out: ${sent.skipped[0]!.why})` : '';
      const sending = toasts.show(`Sending ${namesText(sent.names)} to ${peer.name}${skipped}`);
      // Ends by itself once the transfer does (it outlives this dialog).
      followSendNotice(files, toasts, sent, sending);
      onClose();
      nav.go('files');
    });
  };

  return (
    <Dialog title={`Send files to ${peer.name}`} onClose={onClose}>
      <form
        className="dialog-body send-files"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {refuses ? (
          <p className="why" id={warnId}>
            {peer.name} does not allow files from this device: a transfer is refused. On {peer.name}, open
            Peers → Permissions of {self} and allow “Send files here”, or run{' '}
            <code>clawbridge peers allow {self} files</code> there.
          </p>
        ) : null}
        {desktop ? (
          <div className="actions">
            <button type="button" onClick={() => choose('files')} autoFocus>
              Choose files…
            </button>
            <button type="button" onClick={() => choose('folder')}>
              Choose a folder…
            </button>
          </div>
        ) : null}
        <label htmlFor={fieldId}>
          {desktop ? 'Files and folders to send' : `Paths on ${self}'s machine`}
        </label>
        <textarea
          id={fieldId}
          rows={4}
          value={text}
          spellCheck={false}
          autoFocus={!desktop}
          aria-describedby={[helpId, refuses ? warnId : ''].filter(Boolean).join(' ')}
          aria-invalid={problem !== null}
          onChange={(e) => {
            setText(e.target.value);
            setProblem(null);
          }}
        />
        <p className="muted small-text" id={helpId}>
          {desktop ? (
            'One path a line. Choose them above, drop files on the peer’s card, or type them. Folders are sent with everything in them.'
          ) : (
            <>
              One full path a line, on {self}’s machine, where its agent runs (a browser cannot tell the agent
              where a file on this computer is). Folders are sent with everything in them. From a terminal
              there: <code>clawbridge file send {peer.name} PATH…</code>
            </>
          )}
        </p>
        <ErrorText error={problem ?? action.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={action.busy}>
            {action.busy ? 'Reading the files…' : 'Send'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
