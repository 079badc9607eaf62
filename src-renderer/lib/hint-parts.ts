/**
 * A message and its hint (the command it says to run) as the window shows them: the words, then the
 * command as code, then where to run it when that is the other node. Pure, so it is unit-tested; the
 * message is never taken apart (a backtick in it is a backtick).
 */
import { hintCommandText, type Hint } from '../api/hint.js';

/** One run of what is shown: words, or a command to show as code. */
export type HintPart = { text: string } | { code: string };

export function hintParts(text: string, hint?: Hint): HintPart[] {
  if (!hint) return [{ text }];
  // The sentence names the command itself (the hint says where): the command goes there, as code.
  const at = hint.at;
  if (at && at[0] <= at[1] && at[1] <= text.length) {
    return [
      { text: text.slice(0, at[0]) },
      { code: hintCommandText(hint) },
      { text: text.slice(at[1]) },
    ].filter((part) => !('text' in part) || part.text !== '');
  }
  return [
    { text: `${text} (` },
    { code: hintCommandText(hint) },
    { text: hint.where === 'peer' ? ' on the other node)' : ')' },
  ];
}
