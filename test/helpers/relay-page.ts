/**
 * The relay's page in Chromium (ADR 0094), as the browser-node-page tests drive it: a relay with a
 * device ("office") behind it, the page opened on a fresh profile, paired with a code the device
 * issues (`pair new`) that the device's owner approves, a terminal opened from the device's card. All
 * through the names the issue gives a script (This browser, Pairing code, Join, Open terminal).
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { card, nav, waitForText } from './browser.js';
import {
  agentCall,
  startRelay,
  startRelayAgent,
  tempHome,
  type AgentProc,
  type RelayProc,
} from './processes.js';
import { until } from './wait.js';

/** The device behind the relay, by the name the page shows it under. */
export const DEVICE = 'office';

export interface RelayWithDevice {
  relay: RelayProc;
  /** Where the relay serves its page (the line `clawbridge relay` prints). */
  pageUrl: string;
  /** The page's hash, as printed. */
  printedHash: string;
  /** The device's home. */
  home: string;
  /** The device's agent (SIGSTOP freezes it: a device slow to answer). */
  agent: AgentProc;
}

/**
 * A relay (on `port`, or any free one) and a device behind it (with `extra` agent flags, e.g. its web
 * UI's); the page URL and hash it printed.
 */
export async function relayWithDevice(port = 0, extra: string[] = []): Promise<RelayWithDevice> {
  const relay = await startRelay(port);
  const printed = await relay.proc.waitForLine(
    /^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256 ([0-9a-f]{64})$/m,
  );
  const home = tempHome('device');
  const agent = await startRelayAgent(home, DEVICE, relay.url, extra);
  return { relay, pageUrl: printed[1]!, printedHash: printed[2]!, home, agent };
}

/** The file's relay and device, once started (test files run each in a process of their own). */
let shared: Promise<RelayWithDevice> | undefined;

/**
 * One relay and device ("office", no flags of its own) for the tests of a file that need neither fresh:
 * started when a test first asks, and stopped with everything else by the file's `stopAll`. A relay and
 * an agent cost ~1.5 s of CPU to start, and a file whose tests each started their own paid it each time.
 * Each test still pairs a browser of its own (a fresh context is a fresh identity), so what one test
 * pairs, removes or leaves pending is another browser to the next; a test that stops or restarts the
 * device, or needs its relay on a port of its own, starts its own with `relayWithDevice`.
 */
export function sharedRelayWithDevice(): Promise<RelayWithDevice> {
  shared ??= relayWithDevice();
  return shared;
}

export interface OpenedPage {
  page: Page;
  /** Errors the page raised or logged (a CSP refusal is one). */
  errors: string[];
}

/** The page at `url` in a new context of `browser` (a fresh profile). */
export async function openRelayPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = { viewport: { width: 1280, height: 800 } },
): Promise<OpenedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return { page, errors };
}

/** The region under the heading This browser. */
export const thisBrowser = (page: Page): Locator => page.getByRole('region', { name: 'This browser' });

/** The fingerprint the page shows under This browser (64 hex). */
export async function shownFingerprint(page: Page): Promise<string> {
  const fp = thisBrowser(page).getByRole('code');
  await until('the page shows its fingerprint', async () => (await fp.count()) === 1, 30_000);
  const label = (await fp.getAttribute('aria-label')) ?? '';
  const hex = label.slice(label.indexOf(':') + 1).replace(/\s/g, '');
  assert.match(hex, /^[0-9a-f]{64}$/, `a fingerprint under This browser: ${label}`);
  return hex;
}

/** Enters `code` as the Pairing code and presses Join (tapped on a touch screen). */
export async function enterCode(page: Page, code: string, tap = false): Promise<void> {
  await page.getByLabel('Pairing code').fill(code);
  const join = page.getByRole('button', { name: 'Join', exact: true });
  if (tap) await join.tap();
  else await join.click();
}

/**
 * Pairs the page with the device: a code from the device (`pair.new`, what `clawbridge pair new` asks
 * of it), Join, the owner approves once the request is there (`pending.approve`, what `clawbridge
 * approve --latest` asks); both asked from this process rather than by a CLI process (~0.4 s of CPU
 * each): the page's first test still pairs through the commands. Resolves when the device's card is
 * listed with Open terminal.
 */
export async function pairWithDevice(page: Page, home: string, tap = false): Promise<void> {
  const code = await agentCall(home, 'pair.new', {});
  await enterCode(page, code.code, tap);
  // What `approveWhenPending` does, with the approval asked over the socket too (`approve --latest`
  // sends just this): the command's own words are checked where a test pairs through it.
  await until(
    'a pairing request on the device',
    async () => (await agentCall(home, 'pending.list', {})).length > 0,
    30_000,
  );
  await agentCall(home, 'pending.approve', { latest: true });
  await deviceCard(page).getByRole('button', { name: 'Open terminal' }).waitFor({ timeout: 30_000 });
}

/** The device's card in the Peers view. */
export const deviceCard = (page: Page, name = DEVICE): Locator => card(page, name);

/**
 * Waits until the device's card says it is online and its Open terminal is available, which the page
 * makes it only then. The card's text alone is no sign: while the device is not online the card holds,
 * for a screen reader, "office is connecting: it must be online for this", which says "online" too.
 */
export async function deviceOnline(page: Page, timeoutMs = 30_000): Promise<void> {
  const open = deviceCard(page).getByRole('button', { name: 'Open terminal' });
  await until(
    'the card says the device is online',
    async () =>
      /online/.test(await deviceCard(page).innerText()) &&
      (await open.getAttribute('aria-disabled')) === 'false',
    timeoutMs,
  );
}

/** The terminal's screen (xterm's rows) in the Terminals view. */
export const screen = (page: Page): Locator => page.locator('.terminal-pane .xterm-rows');
export const screenText = (page: Page): Promise<string> => screen(page).innerText();

/** Opens a terminal from the device's card (going to Peers first) and waits until it takes input. */
export async function openTerminal(page: Page, tap = false): Promise<void> {
  if ((await deviceCard(page).count()) === 0) await nav(page, 'Peers').click();
  const open = deviceCard(page).getByRole('button', { name: 'Open terminal' });
  if (tap) await open.tap();
  else await open.click();
  await terminalLive(page);
}

/** Waits for the shown terminal to be connected (no Connecting / reconnecting bar, no end). */
export async function terminalLive(page: Page): Promise<void> {
  const pane = page.getByRole('tabpanel');
  await until(
    'the terminal is connected',
    async () =>
      (await pane.count()) === 1 &&
      (await pane.locator('.overlay').count()) === 0 &&
      (await page.locator('.terminal-pane .xterm-rows').count()) === 1,
    30_000,
  );
}

/** Types `line` and Enter into the terminal, and waits for `answer` on the screen. */
export async function run(page: Page, line: string, answer: RegExp): Promise<void> {
  await page.keyboard.type(`${line}\n`);
  await waitForText(screen(page), answer, 30_000);
}
