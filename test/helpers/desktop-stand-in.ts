/**
 * The desktop app's preload as a page sees it, for Chromium tests of what only main does (the updater,
 * the service switch): `window.clawbridge` carries the API over the agent's web UI socket (requests
 * and events, no terminals) plus one stand-in of main's part, injected before the page's scripts. The
 * page is opened with no token in its address, so only the bridge reaches the agent, as in the app.
 */
import type { Browser } from 'playwright-core';
import type { UiPage } from './browser.js';

/**
 * Page script (a string): `(initial, token) => …`. `part` is page script too, `(initial, emit) =>
 * ({ key, value })`: main's stand-in, given the state the test starts it with and a function that
 * pushes an event to the page's subscribers; its value becomes `window.clawbridge[key]`.
 */
function standIn(part: string): string {
  return `(initial, token) => {
  const listeners = new Set();
  const api = new WebSocket('ws://' + location.host + '/api');
  const waiting = new Map();
  let nextId = 1;
  const ready = new Promise((resolve) => {
    api.onopen = () => api.send(JSON.stringify({ type: 'auth', token }));
    api.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'ready') { api.send(JSON.stringify({ type: 'subscribe' })); resolve(); }
      else if (m.type === 'response') {
        const w = waiting.get(m.id); waiting.delete(m.id);
        if (w) w(m.ok ? { ok: true, result: m.result } : { ok: false, error: m.error });
      } else if (m.type === 'event') for (const l of listeners) l(m.event, m.data);
    };
  });
  const emit = (event, data) => { for (const l of listeners) l(event, data); };
  const { key, value } = (${part})(initial, emit);
  window.clawbridge = {
    async request(method, params) {
      await ready;
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        api.send(JSON.stringify({ type: 'request', id, method, params }));
      });
    },
    openStream: () => Promise.resolve({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'no terminals here' } }),
    subscribe(l) { listeners.add(l); return () => listeners.delete(l); },
    [key]: value,
  };
}`;
}

/**
 * A 1280×800 window of the agent at `url` (its `clawbridge ui` link, whose token the bridge uses)
 * with main's `part` standing in, started from `initial`. Page errors are collected.
 */
export async function desktopWindow(
  browser: Browser,
  url: string,
  part: string,
  initial: unknown,
): Promise<UiPage> {
  const token = /token=([0-9a-f]+)/.exec(new URL(url).hash)?.[1];
  if (!token) throw new Error(`no token in the web UI link ${url}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(`(${standIn(part)})(${JSON.stringify(initial)}, ${JSON.stringify(token)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(`${new URL(url).origin}/`);
  return { context, page, errors };
}
