/**
 * What the page's URL fragment carries — never sent to a server (architecture.md §The desktop app and
 * the window; docs/desktop-app.md lists the links):
 * - `#token=<hex>`: the web UI link that `clawbridge ui` prints;
 * - an app link, `#<view>[?<params>]`: where the window opens. The desktop app loads a new window at
 *   one (`index.html#approvals?request=…`, main's window-place.ts writes them) and sends the same link
 *   to an open window as an `app.navigate` event; the web UI takes the same links:
 *   `#approvals[?request=<id or fingerprint>]`, `#pair`, `#pair/new` (a fresh code), `#pair/join`,
 *   `#join?invite=<code or invite>`, `#terminals[?open=<peer>&name=<name>]` (a new terminal tab),
 *   `#messages[?peer=<fingerprint>]` (that conversation open), `#peers`, `#forwards`, `#settings`; a `token` parameter may ride along. The window keeps its
 *   current view in the fragment (`viewFragment`), so a reload lands where it was;
 * - `#join=<code or invite>`, the first form of a join link, still taken.
 * Pure, so it is unit-tested; anything malformed is ignored rather than half-followed.
 */
import type { Intent, View } from './navigation.js';

/** Where a link asks the window to go. */
export interface AppLink {
  view: View;
  intent: Intent;
}

export interface Fragment {
  token: string | null;
  link: AppLink | null;
}

/** Longest parameter value taken, in characters: an invite is at most 2048, a fingerprint 64. */
const MAX_VALUE_CHARS = 2048;
/** Longest peer name shown on a tab before the agent's list names it, in characters. */
const MAX_NAME_CHARS = 100;

/** `views`: the views there are (the registered features' ids); a link to any other is ignored. */
export function parseFragment(hash: string, views: readonly View[]): Fragment {
  const text = hash.replace(/^#/, '');
  const queryAt = text.indexOf('?');
  // `token=…&join=…` (no route) is the first form; `route?params` the current one.
  const firstForm = queryAt < 0 && text.includes('=');
  const route = firstForm ? '' : queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(firstForm ? text : queryAt < 0 ? '' : text.slice(queryAt + 1));
  const token = params.get('token');
  const join = firstForm ? value(params, 'join') : null;
  return {
    token: token && /^[0-9a-fA-F]{1,256}$/.test(token) ? token : null,
    link: join
      ? { view: 'pair', intent: { pairMode: 'join', joinCode: join } }
      : parseAppLink(route, params, views),
  };
}

/**
 * The fragment without its `token` parameter (`#approvals?request=1&token=ab` → `#approvals?request=1`,
 * `#token=ab` → ``): what stays in the address bar once the page has taken the token, so a link that
 * rode along is still followed and the token is not left on screen, in history or in a bookmark.
 */
export function withoutToken(hash: string): string {
  const text = hash.replace(/^#/, '');
  const queryAt = text.indexOf('?');
  const firstForm = queryAt < 0 && text.includes('=');
  const route = firstForm ? '' : queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(firstForm ? text : queryAt < 0 ? '' : text.slice(queryAt + 1));
  params.delete('token');
  const query = params.toString();
  const rest = firstForm ? query : query ? `${route}?${query}` : route;
  return rest ? `#${rest}` : '';
}

/**
 * The fragment that names `view` (`#pair`): what the address bar shows while the window is there, so
 * a reload comes back to it (a plain view link; parseFragment takes it back).
 */
export function viewFragment(view: View): string {
  return `#${view}`;
}

/** The link an `app.navigate` event names (`view` is the route, `detail` its parameters). */
export function navigateLink(data: unknown, views: readonly View[]): AppLink | null {
  if (typeof data !== 'object' || data === null) return null;
  const { view, detail } = data as { view?: unknown; detail?: unknown };
  if (typeof view !== 'string' || (detail !== undefined && typeof detail !== 'string')) return null;
  return parseAppLink(view, new URLSearchParams(detail ?? ''), views);
}

export function parseAppLink(route: string, params: URLSearchParams, views: readonly View[]): AppLink | null {
  switch (route) {
    case 'approvals': {
      const request = value(params, 'request');
      return { view: 'approvals', intent: request ? { request } : {} };
    }
    case 'pair/new':
      return { view: 'pair', intent: { pairMode: 'new' } };
    case 'pair/join':
      return { view: 'pair', intent: { pairMode: 'join' } };
    case 'join': {
      const invite = value(params, 'invite');
      return { view: 'pair', intent: invite ? { pairMode: 'join', joinCode: invite } : { pairMode: 'join' } };
    }
    case 'terminals': {
      const peer = value(params, 'open');
      if (!peer) return { view: 'terminals', intent: {} };
      const name = value(params, 'name')?.slice(0, MAX_NAME_CHARS) ?? peer.slice(0, 8);
      return { view: 'terminals', intent: { openTerminal: { peer, name } } };
    }
    case 'messages': {
      const peer = value(params, 'peer');
      return { view: 'messages', intent: peer ? { messagesPeer: peer } : {} };
    }
    default:
      return views.includes(route) ? { view: route, intent: {} } : null;
  }
}

/** A parameter's trimmed value, or null when absent, empty, too long or holding control characters. */
function value(params: URLSearchParams, key: string): string | null {
  const v = params.get(key)?.trim();
  if (!v || v.length > MAX_VALUE_CHARS || /\p{Cc}/u.test(v)) return null;
  return v;
}
