/**
 * The name a page gives itself on first open (ADR 0094): its browser and platform, read from the user
 * agent, so two people's browsers paired with one device are not both `browser` (`Firefox on Android`,
 * `Chrome on Windows`). Only a default: the page's owner renames it under This browser. Pure, so
 * node:test checks it against real user agents.
 */

import { OLD_DEFAULT_NAME } from '../node/identity.js';

/** Browsers by a mark of theirs, most specific first (Edge and Opera say Chrome and Safari too). */
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdgA?\/|\bEdgiOS\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChromium\//, 'Chromium'],
  [/\bChrome\/|\bCriOS\/|HeadlessChrome\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];

/** Platforms, most specific first (Android says Linux; an iPhone says Mac OS X). */
const PLATFORMS: readonly [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

const first = (table: readonly [RegExp, string][], text: string): string | undefined =>
  table.find(([mark]) => mark.test(text))?.[1];

/** `Chrome on Linux`; `Firefox` or `Browser on Android` when one half is unknown; `browser` with neither. */
export function defaultBrowserName(userAgent: string): string {
  const browser = first(BROWSERS, userAgent);
  const platform = first(PLATFORMS, userAgent);
  if (browser && platform) return `${browser} on ${platform}`;
  if (platform) return `Browser on ${platform}`;
  return browser ?? OLD_DEFAULT_NAME;
}
