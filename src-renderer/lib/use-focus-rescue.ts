import { useEffect, type RefObject } from 'react';

/**
 * Keeps keyboard focus where the user was when the control that had it goes away: a removed forward's
 * row, an approved request, a form closed by Cancel. The browser would leave focus on <body>, and the
 * next Tab would start over from the top of the window. In order, focus goes to:
 *
 * 1. the item that took the gone one's place in its list (`data-focus-item`: a peer card, a request, a
 *    forward's row), or the last one left — its `data-focus-target`, else its first control;
 * 2. the main action (`data-focus-main`) of the nearest part of the view that is still there: Done in
 *    a pairing panel after Approve, "Add forward" after its form closed, "Pair new device" once no
 *    peer is left;
 * 3. the view's heading, which then shows the focus ring;
 * 4. the view itself (`fallback`).
 */
export function useFocusRescue(fallback: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    let last: Element | null = null;
    /** The gone control's ancestors, nearest first, and its item's place in its list. */
    let ancestors: Element[] = [];
    let list: Element | null = null;
    let index = -1;
    const onFocus = (e: FocusEvent) => {
      last = e.target instanceof Element ? e.target : null;
      ancestors = [];
      for (let el = last?.parentElement ?? null; el; el = el.parentElement) ancestors.push(el);
      const item = last?.closest('[data-focus-item]') ?? null;
      list = item?.parentElement ?? null;
      index = list ? items(list).indexOf(item!) : -1;
    };
    const observer = new MutationObserver(() => {
      if (!last || last.isConnected || document.activeElement !== document.body) return;
      last = null;
      const view = fallback.current;
      if (!view) return;
      target(view)?.focus();
    });
    const target = (view: HTMLElement): HTMLElement | null => {
      if (list?.isConnected) {
        const left = items(list);
        const next = left[Math.min(index, left.length - 1)];
        if (next) {
          return (
            next.querySelector<HTMLElement>('[data-focus-target]') ??
            next.querySelector<HTMLElement>(FOCUSABLE) ??
            null
          );
        }
      }
      for (const el of ancestors) {
        if (!el.isConnected || !view.contains(el)) continue;
        const main = el.querySelector<HTMLElement>('[data-focus-main]');
        if (main) return main;
      }
      const heading = view.querySelector<HTMLElement>('h1');
      if (heading && !heading.classList.contains('visually-hidden')) {
        heading.tabIndex = -1;
        return heading;
      }
      return view;
    };
    document.addEventListener('focusin', onFocus);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => {
      document.removeEventListener('focusin', onFocus);
      observer.disconnect();
    };
  }, [fallback]);
}

const FOCUSABLE = 'button, input, select, textarea, summary, a[href], [tabindex]:not([tabindex="-1"])';

const items = (list: Element): Element[] =>
  [...list.children].filter((c) => c.hasAttribute('data-focus-item'));
