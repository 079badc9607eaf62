import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appMenuTemplate } from '../../../src-main/electron/app-menu.js';

test('macOS gets an Edit menu with the clipboard roles (else Cmd+C/V do nothing); others no menu', () => {
  const mac = appMenuTemplate('darwin')!;
  const edit = mac.find((m) => m.label === 'Edit')!;
  const roles = (edit.submenu as { role?: string }[]).map((i) => i.role).filter(Boolean);
  for (const role of ['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll'])
    assert.ok(roles.includes(role), role);
  assert.deepEqual(
    mac.map((m) => m.role ?? m.label),
    ['appMenu', 'Edit', 'windowMenu'],
  );
  assert.equal(appMenuTemplate('win32'), null);
  assert.equal(appMenuTemplate('linux'), null);
});
