import type { Hint } from '../api/hint.js';
import { hintParts } from '../lib/hint-parts.js';

/** Words from the agent and, when they say to run a command, that command as code (lib/hint-parts.ts). */
export function HintedText({ text, hint }: { text: string; hint?: Hint | undefined }) {
  return <>{hintParts(text, hint).map((p, i) => ('code' in p ? <code key={i}>{p.code}</code> : p.text))}</>;
}
