/**
 * What the page's URL fragment carries — never sent to a server: `token=<hex>` (the web UI link that
 * `clawbridge ui` prints) and `join=<code or invite>` (a deep link, architecture.md §The desktop app and the window: the app opens the window
 * at `index.html#join=<invite>` for `clawbridge://join?invite=…`, and the Pair view starts a join with
 * it filled in). Pure, so it is unit-tested.
 */
export interface Fragment {
  token: string | null;
  join: string | null;
}

export function parseFragment(hash: string): Fragment {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  const join = params.get('join');
  return {
    token: token && /^[0-9a-fA-F]+$/.test(token) ? token : null,
    join: join && join.trim() !== '' && join.length <= 2000 ? join.trim() : null,
  };
}
