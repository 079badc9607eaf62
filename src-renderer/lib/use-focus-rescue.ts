import { useEffect, type RefObject } from 'react';

/**
 * Keeps keyboard focus on the page when the control that had it goes away: a removed forward's row,
 * an approved request, the button that opened a form that replaced it. The browser would leave focus on
 * <body>, and the next Tab would start over from the top of the window; focus moves to `fallback` (the
 * view, labelled by its name) instead.
 */
export function useFocusRescue(fallback: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    let last: Element | null = null;
    const onFocus = (e: FocusEvent) => {
      last = e.target instanceof Element ? e.target : null;
    };
    const observer = new MutationObserver(() => {
      if (last && !last.isConnected && document.activeElement === document.body) {
        last = null;
        fallback.current?.focus();
      }
    });
    document.addEventListener('focusin', onFocus);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => {
      document.removeEventListener('focusin', onFocus);
      observer.disconnect();
    };
  }, [fallback]);
}
