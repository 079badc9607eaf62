import type { Problem } from '../api/hint.js';
import { HintedText } from './HintedText.js';

/** An error a user caused, shown where it happened; empty when there is none (keeps layout stable). */
export function ErrorText({ error, id }: { error: Problem | string | null; id?: string }) {
  const problem = typeof error === 'string' ? { text: error } : error;
  return (
    <p className="error-text" role={problem ? 'alert' : undefined} id={id}>
      {problem ? <HintedText text={problem.text} hint={problem.hint} /> : null}
    </p>
  );
}
