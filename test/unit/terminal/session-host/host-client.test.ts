import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostEntry, sessionHostSocketPath } from '../../../../src-main/terminal/session-host/host-client.js';

test('the session host socket sits beside the control socket, never with a longer path', () => {
  const cases: [string, string][] = [
    ['/home/u/.config/Clawbridge/agent.sock', '/home/u/.config/Clawbridge/pty.sock'],
    ['/run/user/1000/clawbridge-0123456789abcdef.sock', '/run/user/1000/clawbridge-0123456789abcdef.pty'],
    ['\\\\.\\pipe\\clawbridge-0123456789abcdef', '\\\\.\\pipe\\clawbridge-0123456789abcdef-sessions'],
  ];
  for (const [control, host] of cases) {
    assert.equal(sessionHostSocketPath(control), host);
    if (!control.startsWith('\\\\')) assert.ok(host.length <= control.length, host);
  }
});

test("the host entry: beside tsc output, from the sources through tsx, or the CLI bundle's own", () => {
  assert.deepEqual(hostEntry('/app/dist/src-main/terminal/session-host/host-client.js'), {
    file: '/app/dist/src-main/terminal/session-host/host-main.js',
    execArgv: [],
  });
  assert.deepEqual(hostEntry('/repo/src-main/terminal/session-host/host-client.ts'), {
    file: '/repo/src-main/terminal/session-host/host-main.ts',
    execArgv: ['--import', 'tsx'],
  });
  // Bundled, this code sits in a chunk (or the entry) of dist/cli/bundle/, beside the host's own bundle.
  assert.deepEqual(hostEntry('/app/dist/cli/bundle/clawbridge.js'), {
    file: '/app/dist/cli/bundle/host-main.cjs',
    execArgv: [],
  });
});
