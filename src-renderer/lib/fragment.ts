/**
 * What the page's URL fragment carries — never sent to a server (architecture.md §The desktop app and
 * the window; docs/desktop-app.md lists the links):
 * - `#token=<hex>`: the web UI link that `clawbridge ui` prints;
 * - an app link, `#<view>[?<params>]`: where the window opens. The desktop app loads a new window at
 *   one (`index.html#approvals?request=…`, main's window-place.ts writes them) and sends the same link
 *   to an open window as an `app.navigate` event; the web UI takes the same links. `#<view>` shows any
 *   registered feature's view; the links with parameters are the features' own (each feature's
 *   `<feature>-links.ts`, ADR 0088: `#terminals?open=<peer>&name=<name>`, `#pair/new`). A `token`
 *   parameter may ride along. The window keeps its current view in the fragment (`viewFragment`), so
 *   a reload lands where it was;
 * - `#<route>=<value>`, the first form of a link (`#join=<code or invite>`), still taken where a
 *   feature's link says what it stands for.
 * Pure, so it is unit-tested; anything malformed is ignored rather than half-followed.
 */
import type { Intent, LinkedFeature, View } from './navigation.js';

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

/**
 * `features`: the registered features (their ids are the views there are, and each brings the links
 * with parameters it takes); a link to any other view is ignored.
 */
export function parseFragment(hash: string, features: readonly LinkedFeature[]): Fragment {
  const text = hash.replace(/^#/, '');
  const queryAt = text.indexOf('?');
  // `token=…&join=…` (no route) is the first form; `route?params` the current one.
  const firstForm = queryAt < 0 && text.includes('=');
  const route = firstForm ? '' : queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(firstForm ? text : queryAt < 0 ? '' : text.slice(queryAt + 1));
  const token = params.get('token');
  return {
    token: token && /^[0-9a-fA-F]{1,256}$/.test(token) ? token : null,
    link: firstForm ? firstFormLink(params, features) : parseAppLink(route, params, features),
  };
}

/** `#<route>=<value>`: the link a feature says this stands for (`#join=<code>`: `#join?invite=<code>`). */
function firstFormLink(params: URLSearchParams, features: readonly LinkedFeature[]): AppLink | null {
  for (const link of features.flatMap((f) => f.links ?? [])) {
    const given = link.firstForm === undefined ? null : value(params, link.route);
    if (given !== null) {
      return { view: link.view, intent: link.intent((key) => (key === link.firstForm ? given : null)) };
    }
  }
  return null;
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
export function navigateLink(data: unknown, features: readonly LinkedFeature[]): AppLink | null {
  if (typeof data !== 'object' || data === null) return null;
  const { view, detail } = data as { view?: unknown; detail?: unknown };
  if (typeof view !== 'string' || (detail !== undefined && typeof detail !== 'string')) return null;
  return parseAppLink(view, new URLSearchParams(detail ?? ''), features);
}

export function parseAppLink(
  route: string,
  params: URLSearchParams,
  features: readonly LinkedFeature[],
): AppLink | null {
  const link = features.flatMap((f) => f.links ?? []).find((l) => l.route === route);
  if (link) return { view: link.view, intent: link.intent((key) => value(params, key)) };
  return features.some((f) => f.id === route) ? { view: route, intent: {} } : null;
}

/** A parameter's trimmed value, or null when absent, empty, too long or holding control characters. */
function value(params: URLSearchParams, key: string): string | null {
  const v = params.get(key)?.trim();
  if (!v || v.length > MAX_VALUE_CHARS || /\p{Cc}/u.test(v)) return null;
  return v;
}
