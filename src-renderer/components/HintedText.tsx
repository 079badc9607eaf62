import { hintCommandText, type Hint } from '../api/hint.js';

/**
 * Words from the agent and, when they say to run a command, that command as code after them (from the
 * hint: no message is taken apart). A command for the other node says so.
 */
export function HintedText({ text, hint }: { text: string; hint?: Hint | undefined }) {
  if (!hint) return <>{text}</>;
  return (
    <>
      {text} (<code>{hintCommandText(hint)}</code>
      {hint.where === 'peer' ? ' on the other node' : ''})
    </>
  );
}
