import { useEffect, useState } from 'react';

/** Copies `text`; says "Copied" for a moment (announced to screen readers too). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(null), 1500);
    return () => clearTimeout(t);
  }, [done]);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setDone('copied'),
      () => setDone('failed'),
    );
  };
  return (
    <button type="button" className="small" onClick={copy} aria-label={label}>
      <span aria-live="polite">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed' : 'Copy'}
      </span>
    </button>
  );
}
