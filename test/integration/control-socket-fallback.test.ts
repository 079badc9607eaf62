/**
 * A whole agent (startAgent's in-process case) for a home too deep for a Unix socket path: the control
 * socket goes to a private per-user directory under the temp directory, which the agent creates 0700,
 * and a directory another user made there first is refused before the agent starts anything.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { KEY_FILE } from '../../src-main/home/identity-store.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { startAgent } from '../helpers/processes.js';

const unix = process.platform !== 'win32';
const asRoot = unix && process.getuid?.() === 0;

/** The temp directory the run gave: each sandbox is made there, not inside the one before (TMPDIR below). */
const RUN_TMP = tmpdir();
const sandboxes: string[] = [];
after(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/** A private temp directory for the fallback (TMPDIR), so the test never touches the real /tmp/clawbridge-UID. */
function sandbox(): { tmp: string; home: string } {
  const tmp = mkdtempSync(join(RUN_TMP, 'cb-sockfb-'));
  sandboxes.push(tmp);
  process.env.TMPDIR = tmp;
  delete process.env.XDG_RUNTIME_DIR;
  const home = join(tmp, 'a-rather-long-directory-name-for-a-home'.repeat(3), 'Clawbridge');
  assert.ok(join(home, 'agent.sock').length > 108, 'the home must be too deep for a socket path');
  return { tmp, home };
}

const overrides = { listen: '127.0.0.1:0', lan: false };

test(
  'deep home: the socket is in TMP/clawbridge-UID (0700), the home is 0700, the key 0600',
  { skip: !unix },
  async () => {
    const { tmp, home } = sandbox();
    const running = await startAgent(home, { inProcess: { overrides } });
    try {
      const path = controlSocketPath(home);
      assert.equal(running.control.path, path);
      assert.equal(dirname(path), join(tmp, `clawbridge-${process.getuid!()}`));
      assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
      assert.ok(statSync(path).isSocket(), 'statSync(path).isSocket()');
      assert.equal(statSync(home).mode & 0o777, 0o700);
      assert.equal(statSync(join(home, KEY_FILE)).mode & 0o777, 0o600);
      const client = await ControlClient.connect(path, home);
      const status = await client.call('status', {});
      assert.equal(status.fingerprint, running.agent.identity.fingerprint);
      client.close();
    } finally {
      await running.stop();
    }
  },
);

test(
  'deep home: a fallback directory another user made first is refused, nothing starts',
  { skip: !asRoot },
  async () => {
    const { tmp, home } = sandbox();
    const squatted = join(tmp, `clawbridge-${process.getuid!()}`);
    mkdirSync(squatted, { mode: 0o777 });
    chownSync(squatted, 65534, 65534);
    await assert.rejects(startAgent(home, { inProcess: { overrides } }), {
      code: 'CONFIG_INVALID',
      message: `refusing ${squatted}: owned by uid 65534, not you; remove it`,
    });
    // And the CLI refuses to talk to whatever listens there.
    await assert.rejects(ControlClient.connect(controlSocketPath(home), home), {
      message: `refusing ${squatted}: owned by uid 65534, not you; remove it`,
    });
  },
);
