/**
 * Rows `ui-echo` and `ui-echo-bytes`: keystroke echo in the web UI's terminal (xterm.js) in headless
 * Chromium, on the same agent pair and the same remote program as `term-echo-idle` (`cat` in a raw,
 * non-echoing PTY on b, bench/terminal-echo.ts). The page is agent a's web UI (`clawbridge ui --no-open
 * --json`), opened with playwright-core in Debian's Chromium; "Open terminal" on b's card opens the
 * peer's shell, where the bench types `stty raw -echo && printf … && exec cat`, so the remote side is
 * then the same `cat` as the CLI's.
 *
 * Each key is a real (trusted) key from playwright; every time is taken in the page with
 * `performance.now()` (Chromium rounds it to 0.1 ms), so the DevTools protocol's own round trips are not
 * counted. The page is told to wait for the echo before the key goes down, and the key goes up only
 * after its echo: with `keyboard.press` (key up ~1 ms after down) and the wait asked for afterwards,
 * both ran in the page while the echo was on its way and added ~1.5 ms to the p50 in trials, which a
 * person (key up ~100 ms later) does not pay. Times:
 * - start: the `keydown` event's own timeStamp (same clock as performance.now()), i.e. when the browser
 *   made the event, before it was routed to the page: in trials ~0.5 ms p50 before a capture listener
 *   on window ran, which would have flattered the page (term-echo's start is the write into the PTY,
 *   before the CLI reads it);
 * - `ui-echo-bytes`: the echo's WebSocket message arriving in the page (the like-for-like counterpart
 *   of term-echo, which stops when the echo's bytes are read back from the CLI's PTY and draws nothing);
 * - `ui-echo`: the echoed glyph in xterm's rows (a MutationObserver on `.xterm-rows` sees the screen
 *   text become exactly what was typed so far). xterm parses in a task and draws in the next animation
 *   frame, so this includes both; the pixels reach the screen at the end of that same frame (a note
 *   gives keydown → a task right after that frame: its style, layout and paint done). Headless
 *   Chromium's frames are not paced by a display (glyph − bytes was ~1.5 ms p50 in trials, not the
 *   ~8 ms of a 60 Hz screen): on a real screen add the wait for vsync, as for any terminal emulator
 *   that shows the CLI's echo, which term-echo does not count either.
 * A note also gives the floor: Chromium's own WebSocket round trip to a bare ws echo server.
 *
 * CLI keys through `clawbridge term b` (a second session) are interleaved with the page's in blocks,
 * as a control: both see the same moments of a shared machine, and the note says how the CLI fared in
 * these rounds next to the `term-echo-idle` row measured just before. A third session takes turns too:
 * the page's own WebSocket path driven from Node (bench/ws-viewer.ts), to tell what clawbridge's web
 * path costs from what Chromium adds. Setup of `ui-echo` is the click
 * on "Open terminal" → the shell's first output drawn in the page (the page is already loaded). When
 * Chromium or the built renderer is missing, the rows are empty with a note.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, startChild } from './child.js';
import { runCli } from './cli-agents.js';
import { withDeadline } from './measure.js';
import { percentile, type BenchResult } from './table.js';
import {
  openEchoTerminal,
  READY_MARKER,
  TERM_ECHO_DEADLINE_MS,
  TERM_KEY_GAP_MS,
  type EchoTerminal,
} from './terminal-echo.js';
import { openWsViewer, type WsViewer } from './ws-viewer.js';
import { launchOptions } from '../scripts/test-browser-launch.mjs';

/** Debian's Chromium, as the browser tests use it (CLAWBRIDGE_CHROMIUM overrides). */
export const CHROMIUM = process.env.CLAWBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
/** Keys timed in the page (and as many CLI keys interleaved with them). */
export const UI_ECHO_COUNT = 100;
/**
 * Keys timed by the two diagnostics, which give notes, not rows: the Node ws client on the page's own
 * path and Chromium's bare WebSocket floor. Half the rows' count: their p50 is what the notes are read
 * for, and at 100 they took ~21 s of the bench's 10 minutes.
 */
export const UI_DIAGNOSTIC_COUNT = 50;
/** Keys sent first on each side and not counted (JIT, first frames): 10, as for term-echo. */
export const UI_ECHO_WARMUP = 10;
/** Keys per turn before the other side takes its turn. */
export const UI_ECHO_BLOCK = 10;
/**
 * Upper bound of the interleaved phase, in ms (three clients' keys TERM_KEY_GAP_MS apart take ~40 s);
 * fewer keys are counted if it runs out.
 */
export const UI_PHASE_MAX_MS = 75_000;
/** How long the browser, the page and the terminal may take to come up, in ms. */
const UI_OPEN_TIMEOUT_MS = 30_000;
/** How long the browser may take to close before the bench moves on, in ms. */
const UI_CLOSE_TIMEOUT_MS = 10_000;

/** What the shell on b is given: the same raw, non-echoing `cat` as ECHO_COMMAND, after a clear screen. */
// The marker is printed in two halves so the typed command line never shows it whole.
export const UI_ECHO_SHELL_LINE = `stty raw -echo && printf '\\033[H\\033[2J%s%s' ${READY_MARKER.slice(0, 3)} ${READY_MARKER.slice(3)} && exec cat`;

/** One key's times in the page, in ms from its keydown; null where the hook saw nothing. */
export interface UiKeySample {
  /** keydown (the event's timeStamp) → the echoed glyph in xterm's rows. */
  glyphMs: number;
  /** keydown → a task right after the frame that drew the glyph (its style, layout and paint done). */
  paintedMs: number | null;
  /** keydown → the input's WebSocket send. */
  sendMs: number | null;
  /** keydown → the echo's WebSocket message (the first one holding a DATA frame). */
  bytesMs: number | null;
  /** Text messages (API replies and events) the page received between keydown and the glyph. */
  apiMessages: number;
}

/**
 * Installed in the page before its own scripts (addInitScript): stamps keydown, the first binary
 * WebSocket send after it and the first binary message after that, for the key that is armed. Plain
 * JavaScript in a string: tsx would add helpers to a compiled function that the page does not have.
 */
const PROBE_SCRIPT = `(() => {
  const probe = { armed: null };
  // Whether a binary message holds a DATA frame (type 1; frames are u32 length, u8 type, body): the
  // input's ACK from the far end comes back on the same socket and is not the echo.
  const hasData = (buf) => {
    if (!(buf instanceof ArrayBuffer)) return false;
    const v = new DataView(buf);
    for (let o = 0; o + 5 <= v.byteLength; o += 4 + v.getUint32(o)) if (v.getUint8(o + 4) === 1) return true;
    return false;
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const a = probe.armed;
    if (a && a.t0 !== undefined && a.send === undefined && typeof data !== 'string') a.send = performance.now();
    if (!this.cbProbe) {
      this.cbProbe = true;
      this.addEventListener('message', (e) => {
        const b = probe.armed;
        if (!b || b.t0 === undefined) return;
        if (typeof e.data === 'string') b.texts = (b.texts ?? 0) + 1;
        else if (b.send !== undefined && b.recv === undefined && hasData(e.data)) b.recv = performance.now();
      });
    }
    return send.call(this, data);
  };
  window.addEventListener('keydown', (e) => {
    const a = probe.armed;
    if (a && a.t0 === undefined) a.t0 = e.timeStamp;
  }, true);
  window.cbEchoProbe = probe;
})()`;

/** The terminal's visible text with all white space removed (rows, cursor cell, padding). */
const SCREEN_TEXT = `(document.querySelector('.terminal-pane .xterm-rows')?.textContent ?? '').replace(/\\s/g, '')`;

/**
 * In the page: arms the probe for the next key and watches xterm's rows until the screen text is
 * `expected`; `window.cbEchoDone` resolves with the key's UiKeySample (awaited by a second evaluate).
 */
function armScript(expected: string, deadlineMs: number): string {
  return `(() => {
  const expected = ${JSON.stringify(expected)};
  const rows = document.querySelector('.terminal-pane .xterm-rows');
  const text = () => (rows?.textContent ?? '').replace(/\\s/g, '');
  const armed = {};
  window.cbEchoProbe.armed = armed;
  window.cbEchoDone = new Promise((resolve, reject) => {
    if (!rows) return reject(new Error('no terminal rows in the page'));
    const since = (t) => (t === undefined || armed.t0 === undefined ? null : t - armed.t0);
    const observer = new MutationObserver(() => {
      if (armed.t0 === undefined || text() !== expected) return;
      const glyph = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      window.cbEchoProbe.armed = null;
      // xterm changed its rows in an animation frame callback; a message posted now is handled after
      // that frame's style, layout and paint on the main thread.
      const after = new MessageChannel();
      after.port1.onmessage = () => {
        after.port1.close();
        resolve({ glyphMs: glyph - armed.t0, paintedMs: performance.now() - armed.t0, sendMs: since(armed.send), bytesMs: since(armed.recv), apiMessages: armed.texts ?? 0 });
      };
      after.port2.postMessage(0);
    });
    observer.observe(rows, { childList: true, subtree: true, characterData: true });
    const timer = setTimeout(() => {
      observer.disconnect();
      window.cbEchoProbe.armed = null;
      reject(new Error('no echo within ${deadlineMs} ms (keydown ' + (armed.t0 === undefined ? 'not seen' : 'seen') + '); the screen ends with ' + JSON.stringify(text().slice(-40))));
    }, ${deadlineMs});
  });
})()`;
}

/**
 * Resolves once the page expression `condition` is true, checked every animation frame in the page
 * (not with waitForFunction, which evaluates strings with eval and the UI's CSP forbids that).
 */
async function waitInPage(page: Page, condition: string, timeoutMs: number, what: string): Promise<void> {
  const ok = await page.evaluate<boolean>(`new Promise((resolve) => {
  const end = performance.now() + ${timeoutMs};
  const check = () => {
    if (${condition}) resolve(true);
    else if (performance.now() > end) resolve(false);
    else requestAnimationFrame(check);
  };
  check();
})`);
  if (!ok) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/**
 * In a blank page of the same browser (the UI's CSP allows no other server): one-byte binary messages
 * to a bare ws echo server and back, one at a time TERM_KEY_GAP_MS apart, timed in the page.
 */
function floorScript(port: number): string {
  return `new Promise((resolve, reject) => {
  const ws = new WebSocket('ws://127.0.0.1:${port}/');
  ws.binaryType = 'arraybuffer';
  const samples = [];
  let sent = 0;
  let i = 0;
  const end = performance.now() + ${UI_PHASE_MAX_MS};
  const timer = setTimeout(() => { ws.close(); reject(new Error('the ws floor did not finish')); }, ${UI_PHASE_MAX_MS + TERM_ECHO_DEADLINE_MS});
  const next = () => {
    if (i >= ${UI_ECHO_WARMUP + UI_DIAGNOSTIC_COUNT} || performance.now() > end) {
      clearTimeout(timer);
      ws.close();
      resolve(samples);
      return;
    }
    sent = performance.now();
    ws.send(new Uint8Array([0x61 + (i % 26)]));
  };
  ws.onmessage = () => {
    const ms = performance.now() - sent;
    if (i++ >= ${UI_ECHO_WARMUP}) samples.push(ms);
    setTimeout(next, ${TERM_KEY_GAP_MS});
  };
  ws.onopen = next;
  ws.onerror = () => { clearTimeout(timer); reject(new Error('the ws floor socket failed')); };
})`;
}

interface UiTerminal {
  setupMs: number;
  key(ch: string): Promise<UiKeySample>;
  /** Round trips of Chromium's own WebSocket to a bare echo server on `port`, in ms. */
  wsFloor(port: number): Promise<number[]>;
  close(): Promise<void>;
}

async function openUiTerminal(homeA: string, log: (line: string) => void): Promise<UiTerminal> {
  const { chromium } = await import('playwright-core');
  const { url } = JSON.parse(await runCli(['ui', '--no-open', '--json', '--home', homeA])) as { url: string };
  // The browser tests' Chromium, launched as they launch it (one list of flags for both).
  const browser: Browser = await chromium.launch({
    ...launchOptions(CHROMIUM),
    timeout: UI_OPEN_TIMEOUT_MS,
  });
  const close = async () => {
    await withDeadline(browser.close(), UI_CLOSE_TIMEOUT_MS, 'closing Chromium').catch((err: Error) =>
      log(`  ${err.message}`),
    );
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(PROBE_SCRIPT);
    const page: Page = await context.newPage();
    page.setDefaultTimeout(UI_OPEN_TIMEOUT_MS);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(url);
    const card = page.locator('li.card', { has: page.getByRole('heading', { name: 'b', exact: true }) });
    const open = card.getByRole('button', { name: 'Open terminal' });
    await open.waitFor();
    const t0 = performance.now();
    await open.click();
    await waitInPage(page, `${SCREEN_TEXT}.length > 0`, UI_OPEN_TIMEOUT_MS, "the shell's first output");
    const setupMs = performance.now() - t0;
    await page.locator('.terminal-pane .xterm').click();
    await page.keyboard.type(`${UI_ECHO_SHELL_LINE}\n`);
    await waitInPage(
      page,
      `${SCREEN_TEXT} === ${JSON.stringify(READY_MARKER)}`,
      UI_OPEN_TIMEOUT_MS,
      `${READY_MARKER} alone on the screen`,
    ).catch(async (err: Error) => {
      const screen = (await page.evaluate(SCREEN_TEXT).catch(() => '?')) as string;
      throw new Error(
        `the page's terminal never showed only ${READY_MARKER} (${err.message.split('\n')[0]}); it shows ${JSON.stringify(screen.slice(-200))}${pageErrors.length ? `; page errors: ${pageErrors.join('; ')}` : ''}`,
      );
    });
    let expected = READY_MARKER;
    return {
      setupMs,
      key: async (ch) => {
        await page.evaluate(armScript(expected + ch, TERM_ECHO_DEADLINE_MS));
        // The wait is asked for before the key, and the key is let go only after its echo: nothing of
        // the DevTools protocol runs in the page while the echo is on its way (see the header).
        const done = page.evaluate<UiKeySample>('window.cbEchoDone');
        await page.keyboard.down(ch);
        const sample = await done;
        await page.keyboard.up(ch);
        expected += ch;
        return sample;
      },
      wsFloor: async (port) => {
        const blank = await context.newPage();
        try {
          return await blank.evaluate<number[]>(floorScript(port));
        } finally {
          await blank.close();
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The interleaved samples of every side. */
export interface EchoRounds {
  ui: UiKeySample[];
  cli: number[];
  /** The same WebSocket stream path from a Node client (bench/ws-viewer.ts); empty if it did not open. */
  ws: number[];
}

/**
 * Alternates blocks of UI_ECHO_BLOCK keys between the page and the CLI until each has
 * UI_ECHO_WARMUP + UI_ECHO_COUNT keys or UI_PHASE_MAX_MS passed; the first UI_ECHO_WARMUP of each side
 * are not kept. Letters in turn on each side, as term-echo does.
 */
async function interleave(ui: UiTerminal, cli: EchoTerminal, ws: WsViewer | null): Promise<EchoRounds> {
  const rounds: EchoRounds = { ui: [], cli: [], ws: [] };
  const total = UI_ECHO_WARMUP + UI_ECHO_COUNT;
  let uiKeys = 0;
  let cliKeys = 0;
  const wsTotal = UI_ECHO_WARMUP + UI_DIAGNOSTIC_COUNT;
  let wsKeys = ws ? 0 : wsTotal;
  const end = performance.now() + UI_PHASE_MAX_MS;
  const letter = (i: number) => String.fromCharCode(0x61 + (i % 26));
  const pause = () => new Promise((r) => setTimeout(r, TERM_KEY_GAP_MS));
  while ((uiKeys < total || cliKeys < total || wsKeys < wsTotal) && performance.now() < end) {
    for (let k = 0; k < UI_ECHO_BLOCK && uiKeys < total && performance.now() < end; k++) {
      const s = await ui.key(letter(uiKeys));
      if (uiKeys++ >= UI_ECHO_WARMUP) rounds.ui.push(s);
      await pause();
    }
    for (let k = 0; k < UI_ECHO_BLOCK && cliKeys < total && performance.now() < end; k++) {
      const ms = await cli.key(letter(cliKeys));
      if (cliKeys++ >= UI_ECHO_WARMUP) rounds.cli.push(ms);
      await pause();
    }
    for (let k = 0; ws && k < UI_ECHO_BLOCK && wsKeys < wsTotal && performance.now() < end; k++) {
      const ms = await ws.key(letter(wsKeys));
      if (wsKeys++ >= UI_ECHO_WARMUP) rounds.ws.push(ms);
      await pause();
    }
  }
  if (rounds.ui.length === 0) throw new Error(`no page echo was timed within ${UI_PHASE_MAX_MS} ms`);
  return rounds;
}

/** p50/p99 of the defined values, or nulls when there are none. */
export function summarize(samples: readonly (number | null)[]): { p50: number | null; p99: number | null } {
  const defined = samples.filter((s): s is number => s !== null && Number.isFinite(s));
  if (defined.length === 0) return { p50: null, p99: null };
  return { p50: percentile(defined, 50), p99: percentile(defined, 99) };
}

/** The rows and the note of one interleaved phase (pure; unit-tested). */
export function uiEchoRows(
  rounds: EchoRounds,
  setupMs: number | null,
  floor: readonly number[] = [],
): { results: BenchResult[]; notes: string[] } {
  const glyph = summarize(rounds.ui.map((s) => s.glyphMs));
  const bytes = summarize(rounds.ui.map((s) => s.bytesMs));
  const send = summarize(rounds.ui.map((s) => s.sendMs));
  const painted = summarize(rounds.ui.map((s) => s.paintedMs));
  const cli = summarize(rounds.cli);
  const ws = summarize(rounds.ws);
  const missingBytes = rounds.ui.filter((s) => s.bytesMs === null).length;
  const f = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  const notes = [
    `ui-echo: ${rounds.ui.length} keys in Chromium (the keydown event's timeStamp → glyph in xterm's rows; -bytes: → the echo's WebSocket message; → input sent p50 ${f(send.p50)} ms), interleaved in blocks of ${UI_ECHO_BLOCK} with ${rounds.cli.length} keys through a second \`clawbridge term b\`, whose echo took p50 ${f(cli.p50)} ms, p99 ${f(cli.p99)} ms in the same rounds; ui-echo's glyph includes xterm's parse and its next animation frame (headless: not paced by a display), term-echo draws nothing`,
  ];
  if (painted.p50 !== null)
    notes.push(
      `ui-echo: keydown → the glyph's frame painted on the main thread (a task right after it) p50 ${f(painted.p50)} ms, p99 ${f(painted.p99)} ms`,
    );
  if (rounds.ws.length > 0)
    notes.push(
      `ui-echo: the same /api/stream path driven by a Node ws client instead of Chromium (same rounds, same cat): p50 ${f(ws.p50)} ms, p99 ${f(ws.p99)} ms over ${rounds.ws.length} keys`,
    );
  const api = rounds.ui.reduce((n, s) => n + s.apiMessages, 0);
  if (api > 0)
    notes.push(
      `ui-echo: the page's API socket received ${api} messages (events) while ${rounds.ui.filter((s) => s.apiMessages > 0).length} of the ${rounds.ui.length} keys were on their way`,
    );
  if (floor.length > 0) {
    const fl = summarize(floor);
    notes.push(
      `ui-echo floor: Chromium's own WebSocket round trip (1 byte to a bare ws echo server in another process, nothing of clawbridge) p50 ${f(fl.p50)} ms, p99 ${f(fl.p99)} ms over ${floor.length} messages`,
    );
  }
  if (missingBytes > 0)
    notes.push(`ui-echo-bytes: the WebSocket hook missed ${missingBytes} of ${rounds.ui.length} echoes`);
  return {
    results: [
      { name: 'ui-echo', MBps: null, p50Ms: glyph.p50, p99Ms: glyph.p99, setupMs },
      { name: 'ui-echo-bytes', MBps: null, p50Ms: bytes.p50, p99Ms: bytes.p99, setupMs: null },
    ],
    notes,
  };
}

/** Why the page cannot be measured here, or null when it can. */
export function uiEchoMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(REPO_ROOT, 'dist', 'renderer', 'index.html')))
    return 'the renderer is not built (npm run build)';
  return null;
}

/** Measures ui-echo and ui-echo-bytes against agent a (home `homeA`) of a running pair; never throws. */
export async function measureUiEcho(
  homeA: string,
  log: (line: string) => void,
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const empty = (why: string) => ({
    results: ['ui-echo', 'ui-echo-bytes'].map((name) => ({
      name,
      MBps: null,
      p50Ms: null,
      p99Ms: null,
      setupMs: null,
    })),
    notes: [`ui-echo and ui-echo-bytes not available: ${why}`],
  });
  const missing = uiEchoMissing();
  if (missing) return empty(missing);
  let ui: UiTerminal | undefined;
  let cli: EchoTerminal | undefined;
  let ws: WsViewer | null = null;
  try {
    log('  opening the web UI in Chromium…');
    ui = await openUiTerminal(homeA, log);
    cli = await openEchoTerminal(homeA);
    ws = await openWsViewer(homeA).catch((err: Error) => {
      log(`  the Node ws control did not open: ${err.message}`);
      return null;
    });
    const rounds = await interleave(ui, cli, ws);
    ws?.close();
    ws = null;
    await cli.close();
    cli = undefined;
    let floor: number[] = [];
    const echo = startChild('./ws-echo-child.ts');
    try {
      const { port } = await echo.request<{ port: number }>('start');
      floor = await ui.wsFloor(port);
    } catch (err) {
      log(`  the ws floor was not measured: ${(err as Error).message}`);
    } finally {
      await echo.stop();
    }
    return uiEchoRows(rounds, ui.setupMs, floor);
  } catch (err) {
    return empty((err as Error).message);
  } finally {
    ws?.close();
    await cli?.close();
    await ui?.close();
  }
}
