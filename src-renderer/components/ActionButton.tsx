import type { ButtonHTMLAttributes, MouseEvent } from 'react';

/**
 * A button that cannot act right now (busy, or nothing to do) but keeps the keyboard focus: it says so
 * with `aria-disabled` and ignores activation, instead of `disabled` — a button that becomes disabled
 * while it has the focus drops it to <body>, and the next Tab starts over at the top of the window. A
 * submit button's click is cancelled too, which also stops Enter in one of its form's fields.
 */
export function ActionButton({
  unavailable,
  onClick,
  ...rest
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'disabled' | 'aria-disabled'> & { unavailable: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      aria-disabled={unavailable}
      onClick={(e: MouseEvent<HTMLButtonElement>) => {
        if (unavailable) {
          e.preventDefault();
          return;
        }
        onClick?.(e);
      }}
    />
  );
}
