/**
 * Why a button that acts on a device now (Open terminal) does nothing while the device is not online:
 * the button's `aria-describedby`, for a screen reader only, since the device's state is shown beside
 * it already. One wording for the peer cards and the Groups view.
 */
export function MustBeOnline({ id, name, state }: { id: string; name: string; state: string }) {
  return (
    <span className="visually-hidden" id={id}>
      {name} is {state}: it must be online for this
    </span>
  );
}
