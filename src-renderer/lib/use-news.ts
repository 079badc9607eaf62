import { useEffect, useRef, useState } from 'react';

/**
 * Text for a view's one persistent live region: `describe(baseline, now)` is asked `delayMs` after the
 * first of a burst of changes to `value`, against the value last announced, so a burst is said once and
 * a change undone meanwhile is not said at all. Nothing is said for the first render.
 */
export function useNews<T>(value: T, describe: (before: T, now: T) => string[], delayMs: number): string {
  const [text, setText] = useState('');
  const baseline = useRef(value);
  const latest = useRef(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  latest.current = value;
  useEffect(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      const news = describe(baseline.current, latest.current);
      baseline.current = latest.current;
      if (news.length > 0) setText(news.join('. '));
    }, delayMs);
    // describe is a module function; only a new value starts a wait.
  }, [value, delayMs]);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return text;
}
