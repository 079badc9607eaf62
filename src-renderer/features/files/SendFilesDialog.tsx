import { useId, useState } from 'react';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { useAgent, useService, useServices } from '../../api/hooks.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorText } from '../../components/ErrorText.js';
import { explainError } from '../../lib/refusal-text.js';
import { FILES } from './files-store.js';
import { followSendNotice } from './send-notice.js';
import { useAction } from '../../lib/use-action.js';
import { namesText, parsePaths, pathsProblem } from './files-text.js';
import { PathsField } from './PathsField.js';

/**
 * "Send files…" for one peer: the paths (PathsField; files dropped on the peer's card arrive here as
 * `initial`), sent to the peer.
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
  const [text, setText] = useState(initial.join('\n'));
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction((err) => explainError(err, peer.name));
  const warnId = useId();
  const refuses = peer.theyAllow !== null && !peer.theyAllow.includes('files');

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
        <PathsField
          text={text}
          onText={(t) => {
            setText(t);
            setProblem(null);
          }}
          self={self}
          invalid={problem !== null}
          describedBy={refuses ? [warnId] : []}
          desktopHelp="One path a line. Choose them above, drop files on the peer’s card, or type them. Folders are sent with everything in them."
          browserHelp={
            <>
              One full path a line, on {self}’s machine, where its agent runs (a browser cannot tell the agent
              where a file on this computer is). Folders are sent with everything in them. From a terminal
              there: <code>clawbridge file send {peer.name} PATH…</code>
            </>
          }
        />
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
