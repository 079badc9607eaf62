/**
 * A home whose key the desktop app keeps encrypted (electron/key-at-rest.ts), met by the real CLI:
 * commands that need the key say in one line that the app holds it and exit non-zero, touching
 * nothing; client commands never load the key and reach the app's agent through its control socket.
 * The app's agent runs in this process with the identity main decrypted, as the desktop app runs it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CERT_FILE,
  ENCRYPTED_KEY_FILE,
  KEY_IN_DESKTOP_APP_MESSAGE,
} from '../../src-main/home/identity-store.js';
import type { PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { loadDesktopIdentity, type KeyVault } from '../../src-main/electron/key-at-rest.js';
import { cli, cliJson, stopAll, tempHome, startAgent, assertAgentFailed } from '../helpers/processes.js';

after(stopAll);

/** The system keychain as safeStorage presents it: AES-GCM under a secret the CLI has no way to get. */
function keychain(): KeyVault {
  const secret = randomBytes(32);
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', secret, iv);
      return Buffer.concat([iv, c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
    },
    decryptString(data) {
      const d = createDecipheriv('aes-256-gcm', secret, data.subarray(0, 12));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]).toString('utf8');
    },
  };
}

/** A desktop app's home: certificate and encrypted key, no plain key. */
async function desktopHome(label: string) {
  const home = join(tempHome(label), 'Clawbridge');
  const identity = await loadDesktopIdentity(home, keychain(), { platform: 'linux' });
  assert.deepEqual(readdirSync(home).sort(), [CERT_FILE, ENCRYPTED_KEY_FILE]);
  return { home, identity };
}

const contents = (home: string) =>
  Object.fromEntries(readdirSync(home).map((f) => [f, readFileSync(join(home, f)).toString('base64')]));

test('agent on the desktop app’s home: one line saying the app holds the key, exit 1; id still names the node; nothing touched', async () => {
  const { home, identity } = await desktopHome('deskkey');
  const before = contents(home);
  const r = await startAgent(home, { ui: false, listen: false, expect: 'failure' });
  assertAgentFailed(r, `clawbridge: ${KEY_IN_DESKTOP_APP_MESSAGE}\n`);
  assert.equal(r.stdout, '');
  // The fingerprint is the certificate's: `id` needs no key to say who the node is.
  const id = await cli(['id', '--home', home, '--json']);
  assert.equal(id.code, 0, id.stderr);
  assert.equal((JSON.parse(id.stdout) as { fingerprint: string }).fingerprint, identity.fingerprint);
  assert.deepEqual(contents(home), before, 'the CLI created no key and changed no file');
});

test('client commands reach the desktop app’s agent without reading the key', async () => {
  const { home, identity } = await desktopHome('deskclient');
  const running = await startAgent(home, {
    inProcess: {
      identity,
      overrides: { listen: '127.0.0.1:0', lan: false, ui: { listen: null, allowRemote: false } },
      notice: () => {},
    },
  });
  try {
    const status = await cliJson<StatusResult>(['status', '--home', home]);
    assert.equal(status.fingerprint, identity.fingerprint);
    assert.deepEqual(await cliJson<PeerInfo[]>(['peers', '--home', home]), []);
  } finally {
    await running.stop();
  }
  assert.ok(!readdirSync(home).includes('identity.key'), 'no plain key appeared in the home');
});
