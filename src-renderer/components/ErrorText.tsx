import { MessageText } from './MessageText.js';

/** An error a user caused, shown where it happened; empty when there is none (keeps layout stable). */
export function ErrorText({ error, id }: { error: string | null; id?: string }) {
  return (
    <p className="error-text" role={error ? 'alert' : undefined} id={id}>
      {error ? <MessageText text={error} /> : null}
    </p>
  );
}
