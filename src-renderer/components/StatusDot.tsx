/** A status shown with a glyph and words, never colour alone (Teleport's ConnectionStatusIndicator). */
export type Tone = 'ok' | 'warn' | 'down' | 'busy';

const GLYPH: Record<Tone, string> = { ok: '●', warn: '◐', down: '○', busy: '◌' };

export function StatusDot({ tone, text }: { tone: Tone; text: string }) {
  return (
    <span className={`status status-${tone}`}>
      <span className="status-glyph" aria-hidden="true">
        {GLYPH[tone]}
      </span>
      <span>{text}</span>
    </span>
  );
}
