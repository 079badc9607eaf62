// @ts-check
// How the browser tests' Chromium is launched: the arguments test/helpers/browser.ts launches a file's
// own Chromium with, and the run's shared one (scripts/test-browser-server.mjs) too, so that a test
// meets the same browser either way. Plain JavaScript: the runner starts the shared one without tsx.

import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that carries the run's shared browser's endpoint to the test files (scripts/test-browser.mjs). */
export const SHARED_BROWSER_ENV = 'CLAWBRIDGE_TEST_BROWSER';

/**
 * The features playwright-core disables in every Chromium it launches (its `chromiumSwitches`),
 * repeated: Chromium reads only the last `--disable-features`, so the one below must carry them.
 * `droppedFeatures` compares them with the command line playwright-core gave the browser, and the
 * launch fails, naming what to add, if a playwright-core upgrade disables more.
 */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * The browser's own WebUIs for a toolbar a headless window never shows: the omnibox's popups and the
 * tab search it preloads. Left on, they loaded in a renderer of their own at each launch and kept it
 * busy for seconds: ~2 s of CPU of the ~6 s a launch cost (Chromium 156, issue 83), paid by every
 * browser launched.
 */
export const UNSHOWN_WEBUI_FEATURES = [
  'WebUIOmniboxPopup',
  'WebUIOmniboxFullPopup',
  'WebUIOmniboxAimPopup',
  'PreloadTopChromeWebUI',
];

/**
 * playwright-core's launch options for the browser tests' Chromium.
 * @param {string} executablePath Debian's Chromium, or CLAWBRIDGE_CHROMIUM
 */
export function launchOptions(executablePath) {
  return {
    executablePath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
      `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...UNSHOWN_WEBUI_FEATURES].join(',')}`,
    ],
  };
}

/** @returns {string[][]} the `--disable-features` lists of each browser this process launched */
function launchedDisabledFeatures() {
  /** @type {string[][]} */
  const lists = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!args.includes('--remote-debugging-pipe')) continue;
      lists.push(
        ...args.filter((a) => a.startsWith('--disable-features=')).map((a) => a.slice(19).split(',')),
      );
    } catch {
      // The process ended while it was read: not a browser still running.
    }
  }
  return lists;
}

/**
 * Why the browsers this process launched cannot be used, or null: playwright-core disabled a feature
 * our `--disable-features` does not repeat, and so turned back on. Called right after a launch.
 * @returns {string | null}
 */
export function droppedFeatures() {
  const dropped = launchedDisabledFeatures()
    .flat()
    .filter(
      (f) => f !== '' && !PLAYWRIGHT_DISABLED_FEATURES.includes(f) && !UNSHOWN_WEBUI_FEATURES.includes(f),
    );
  return dropped.length === 0
    ? null
    : `playwright-core disables ${dropped.join(', ')} too, which this launch's --disable-features would turn back on: add them to PLAYWRIGHT_DISABLED_FEATURES in scripts/test-browser-launch.mjs`;
}
