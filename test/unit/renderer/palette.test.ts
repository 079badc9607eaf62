/**
 * The window's palette (src-renderer/style.css) against WCAG's contrast minimums, in both themes: a text
 * field's edge is how one is found (1.4.11, 3:1), and the view dimmed while the agent is away keeps
 * its text readable (no opacity that halves it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const css = readFileSync(new URL('../../../src-renderer/style.css', import.meta.url), 'utf8');
const dark = css.slice(css.indexOf('@media (prefers-color-scheme: dark)'));
const light = css.slice(0, css.indexOf('@media (prefers-color-scheme: dark)'));

function color(block: string, name: string): string {
  const m = new RegExp(`--${name}:\\s*(#[0-9a-f]{6})`, 'i').exec(block);
  assert.ok(m, `--${name} is a #rrggbb colour`);
  return m[1]!;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

test('text fields have an edge of at least 3:1 against the card and the page, light and dark', () => {
  for (const [theme, block] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    const edge = color(block, 'field-border');
    for (const around of ['panel', 'bg']) {
      const ratio = contrast(edge, color(block, around));
      assert.ok(ratio >= 3, `${theme}: --field-border ${edge} on --${around} is ${ratio.toFixed(2)}:1`);
    }
  }
  assert.match(css, /input,\s*select,\s*textarea\s*\{[^}]*border: 1px solid var\(--field-border\)/);
});

test('the view shown while the agent is away is not faded (faded text fails contrast)', () => {
  const stale = /\.view\.stale[^{]*\{([^}]*)\}/.exec(css);
  assert.ok(stale, 'a rule for the stale view');
  assert.doesNotMatch(stale[1]!, /opacity/);
});
