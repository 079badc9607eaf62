/**
 * scripts/security-scan.mjs (`npm run security`) judged on small repositories made here: a window
 * with Node in its renderer fails the scan and names the finding; a justified exception lets a
 * finding pass; an exception that matches nothing, or a file that cannot be parsed, fails it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/security-scan.mjs', import.meta.url));
/** The scan starts Electronegativity's parsers; a few seconds on a slow machine. */
const SCAN_TIMEOUT_MS = 60_000;

function repo(files: Record<string, string>): string {
  const root = tempDir('cb-scan-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function scan(root: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], {
    encoding: 'utf8',
    timeout: SCAN_TIMEOUT_MS,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SAFE_WINDOW = `
import { BrowserWindow, session } from 'electron';
export function open() {
  const win = new BrowserWindow({
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' },
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  session.defaultSession.setPermissionRequestHandler((_w, _p, cb) => cb(false));
  session.defaultSession.webRequest.onHeadersReceived((d, cb) =>
    cb({ responseHeaders: { ...d.responseHeaders, 'Content-Security-Policy': ["default-src 'none'"] } }),
  );
  return win;
}
`;

test('a window without context isolation or sandbox fails the scan, naming each check and its line', () => {
  const root = repo({
    'src-main/electron/main.ts': SAFE_WINDOW.replace(
      'contextIsolation: true, sandbox: true, nodeIntegration: false',
      'contextIsolation: false, nodeIntegration: true',
    ),
  });
  const r = scan(root);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^security scan failed/);
  assert.match(
    r.stderr,
    /FINDING\s+HIGH\/FIRM CONTEXT_ISOLATION_JS_CHECK src-main\/electron\/main\.ts:\d+:\d+ — /,
  );
  assert.match(r.stderr, /SANDBOX_JS_CHECK src-main\/electron\/main\.ts/);
  assert.doesNotMatch(r.stdout, /security scan: no finding/);
});

test('the hardened window passes; a justified exception lets its finding pass, with the reason shown', () => {
  const root = repo({
    'src-main/electron/main.ts': `${SAFE_WINDOW}\nexport const open2 = (shell: { openExternal(u: string): Promise<void> }, u: string) => shell.openExternal(u);\n`,
    'scripts/security-scan.exceptions.json': JSON.stringify({
      exceptions: [
        {
          check: 'OPEN_EXTERNAL_JS_CHECK',
          file: 'src-main/electron/main.ts',
          why: 'callers pass https links only',
        },
      ],
    }),
  });
  const r = scan(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /accepted MEDIUM\/TENTATIVE OPEN_EXTERNAL_JS_CHECK src-main\/electron\/main\.ts:\d+:\d+/,
  );
  assert.match(r.stdout, /because callers pass https links only/);
  assert.match(r.stdout, /security scan: no finding above LOW/);
});

test('an exception that matches nothing and a file that does not parse both fail the scan', () => {
  const root = repo({
    'src-main/electron/main.ts': SAFE_WINDOW,
    'src-main/electron/broken.ts': 'export const = ;',
    'scripts/security-scan.exceptions.json': JSON.stringify({
      exceptions: [
        { check: 'OPEN_EXTERNAL_JS_CHECK', file: 'src-main/electron/gone.ts', why: 'was needed once' },
      ],
    }),
  });
  const r = scan(root);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /STALE\s+exception OPEN_EXTERNAL_JS_CHECK in src-main\/electron\/gone\.ts matches no finding/,
  );
  assert.match(r.stderr, /UNPARSED\s+src-main\/electron\/broken\.ts: /);
});

test('an exception without a reason is refused', () => {
  const root = repo({
    'src-main/electron/main.ts': SAFE_WINDOW,
    'scripts/security-scan.exceptions.json': JSON.stringify({
      exceptions: [{ check: 'OPEN_EXTERNAL_JS_CHECK', file: 'src-main/electron/main.ts', why: ' ' }],
    }),
  });
  const r = scan(root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"exceptions" must be a list of \{check, file, why\} with a reason each/);
});
