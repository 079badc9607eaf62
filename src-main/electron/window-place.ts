/**
 * Where the window should open (architecture.md §The desktop app and the window): a tray item, a
 * notification or a deep link names a place, and the window shows it. A place travels to the renderer
 * as a link in the page's URL fragment (`index.html#approvals?request=…`) when the window is created,
 * or as an `app.navigate` event when it is already open; the renderer reads both with one parser
 * (src-renderer/lib/fragment.ts), so the web UI accepts the same links. docs/desktop-app.md lists them.
 */

export type WindowPlace =
  | { view: 'peers' | 'forwards' | 'settings' | 'terminals' | 'files' }
  /** `request`: the pending request's id or fingerprint, shown first. */
  | { view: 'approvals'; request?: string }
  /** `new` shows a fresh code at once; `join` opens the form, with `invite` filled in when given. */
  | { view: 'pair'; mode: 'new' | 'join'; invite?: string }
  /** A new terminal tab to the peer (its fingerprint), named `name` until the agent says otherwise. */
  | { view: 'terminal'; peer: string; name: string }
  /** The Messages view, with the conversation with `peer` (its fingerprint) open when given. */
  | { view: 'messages'; peer?: string }
  /**
   * Groups: `join`, a group invitation's link to fill the Join group form with; `refused`, why a link
   * meant as one was refused (said under that form).
   */
  | { view: 'groups'; join?: string; refused?: string };

/** The fragment (without `#`) that opens `place`, e.g. `approvals?request=3f2a`, `pair/new`. */
export function placeLink(place: WindowPlace): string {
  switch (place.view) {
    case 'approvals':
      return place.request === undefined ? 'approvals' : `approvals?${query({ request: place.request })}`;
    case 'pair':
      if (place.mode === 'new') return 'pair/new';
      return place.invite === undefined ? 'pair/join' : `join?${query({ invite: place.invite })}`;
    case 'terminal':
      return `terminals?${query({ open: place.peer, name: place.name })}`;
    case 'messages':
      return place.peer === undefined ? 'messages' : `messages?${query({ peer: place.peer })}`;
    case 'groups': {
      const params = {
        ...(place.join !== undefined ? { join: place.join } : {}),
        ...(place.refused !== undefined ? { refused: place.refused } : {}),
      };
      return Object.keys(params).length === 0 ? 'groups' : `groups?${query(params)}`;
    }
    default:
      return place.view;
  }
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/**
 * The `app.navigate` event for `place` (api-ipc-channels.ts): the link's route as `view` and its
 * query as `detail`, which the renderer joins back into the same link.
 */
export function placeNavigation(place: WindowPlace): { view: string; detail?: string } {
  const link = placeLink(place);
  const at = link.indexOf('?');
  return at < 0 ? { view: link } : { view: link.slice(0, at), detail: link.slice(at + 1) };
}
