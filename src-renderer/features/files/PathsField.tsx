import { useId, type ReactNode } from 'react';
import { desktopFiles } from '../../lib/desktop-files.js';
import { useAction } from '../../lib/use-action.js';
import { ErrorText } from '../../components/ErrorText.js';
import { parsePaths } from './files-text.js';

/**
 * The paths to send, for Send files… and Send to anyone. The agent sends paths on its own machine: in
 * the desktop app the native picker gives them; in a browser the page cannot learn a file's path, so
 * they are typed, one a line (`browserHelp` says where they come from).
 */
export function PathsField({
  text,
  onText,
  self,
  invalid,
  describedBy = [],
  browserHelp,
  desktopHelp = 'One path a line. Choose them above, or type them. Folders are sent with everything in them.',
}: {
  text: string;
  onText: (text: string) => void;
  /** This agent's name: whose machine the paths are on. */
  self: string;
  invalid: boolean;
  /** Other notes the field is described by (a warning above it). */
  describedBy?: string[];
  browserHelp: ReactNode;
  desktopHelp?: string;
}) {
  const desktop = desktopFiles();
  const pick = useAction();
  const fieldId = useId();
  const helpId = useId();
  const choose = (kind: 'files' | 'folder') =>
    pick.start(async () => {
      const chosen = await desktop!.pick(kind);
      if (chosen.length > 0) onText([...parsePaths(text), ...chosen].join('\n'));
    });
  return (
    <>
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
      <ErrorText error={pick.error} />
      <label htmlFor={fieldId}>{desktop ? 'Files and folders to send' : `Paths on ${self}'s machine`}</label>
      <textarea
        id={fieldId}
        rows={4}
        value={text}
        spellCheck={false}
        autoFocus={!desktop}
        aria-describedby={[helpId, ...describedBy].join(' ')}
        aria-invalid={invalid}
        onChange={(e) => onText(e.target.value)}
      />
      <p className="muted small-text" id={helpId}>
        {desktop ? desktopHelp : browserHelp}
      </p>
    </>
  );
}
