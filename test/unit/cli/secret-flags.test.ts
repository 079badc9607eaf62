/**
 * Secrets kept off the command line (issue 52 F8): `relay --token-file` / CLAWBRIDGE_RELAY_TOKEN and
 * `agent --relay-token-file` read the token from where other users cannot; the old `--token` and
 * `--relay-token` still work and say that other users of the machine can read them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentOverrides, type AgentFlagIo } from '../../../src-main/cli/agent-flags.js';
import { RELAY_TOKEN_ENV, relayTokenFrom } from '../../../src-main/cli/relay-command.js';
import { readSecretFile } from '../../../src-main/cli/secret-file.js';
import { settingsSchemas } from '../../../src-main/state/settings.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

function secretFile(content: string, mode = 0o600): string {
  const path = join(tempDir('cb-secret-'), 'token');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

test('relay: --token-file, then --token (warned about), then the environment variable', () => {
  const warned: string[] = [];
  const warn = (l: string) => warned.push(l);
  const file = secretFile('s3cret token\n');
  assert.equal(relayTokenFrom({ tokenFile: file }, {}, warn), 's3cret token', 'one line break dropped');
  assert.deepEqual(warned, []);
  assert.equal(relayTokenFrom({}, { [RELAY_TOKEN_ENV]: 'from-env' }, warn), 'from-env');
  assert.equal(relayTokenFrom({ tokenFile: file }, { [RELAY_TOKEN_ENV]: 'from-env' }, warn), 's3cret token');
  assert.deepEqual(warned, []);
  assert.equal(relayTokenFrom({}, {}, warn), undefined, 'none: an open relay');

  assert.equal(relayTokenFrom({ token: 'on-argv' }, {}, warn), 'on-argv', 'the old flag still works');
  assert.equal(warned.length, 1);
  assert.match(
    warned[0]!,
    /--token is on the command line, where other users of this machine can read it \(ps\)/,
  );
  assert.match(warned[0]!, /--token-file FILE or the CLAWBRIDGE_RELAY_TOKEN environment variable/);
  assert.doesNotMatch(warned[0]!, /on-argv/, 'the warning does not repeat the secret');

  assert.throws(() => relayTokenFrom({ token: 'a', tokenFile: file }, {}, warn), /--token and --token-file/);
  assert.throws(
    () => relayTokenFrom({ tokenFile: secretFile('\n') }, {}, warn),
    /--token-file .*1 to 255 bytes/,
  );
  assert.throws(
    () => relayTokenFrom({}, { [RELAY_TOKEN_ENV]: '' }, warn),
    /CLAWBRIDGE_RELAY_TOKEN: .*1 to 255 bytes/,
  );
  assert.throws(
    () => relayTokenFrom({ tokenFile: join(tempDir('cb-secret-'), 'nope') }, {}, warn),
    /cannot read --token-file .*nope \(no such file\); check the path/,
  );
});

test('a token file others may read is used, with a warning to chmod it', () => {
  const warned: string[] = [];
  const path = secretFile('tok', 0o644);
  assert.equal(
    readSecretFile('--token-file', path, (l) => warned.push(l)),
    'tok',
  );
  assert.deepEqual(warned, [`--token-file ${path} can be read by other users (mode 0644); chmod 600 it`]);
});

test('agent: --relay-token-file [URL=]FILE saves the token; --relay-token still works, warned about', () => {
  const saved = settingsSchemas(agentVocabulary).settingsSchema.parse({});
  const warned: string[] = [];
  const read: string[] = [];
  const io: AgentFlagIo = {
    readSecret: (flag, path) => {
      read.push(`${flag} ${path}`);
      return readSecretFile(flag, path, (l) => warned.push(l));
    },
    warn: (l) => warned.push(l),
  };
  const file = secretFile('t=1 secret\r\n');
  const one = agentOverrides({ relay: ['wss://r.example:7474'], relayTokenFile: [file] }, saved, io);
  assert.deepEqual(one.relays, [{ url: 'wss://r.example:7474', token: 't=1 secret' }]);
  assert.deepEqual(read, [`--relay-token-file ${file}`]);
  const two = agentOverrides(
    { relay: ['wss://a.example', 'wss://b.example'], relayTokenFile: [`wss://b.example=${file}`] },
    saved,
    io,
  );
  assert.deepEqual(two.relays, [{ url: 'wss://a.example' }, { url: 'wss://b.example', token: 't=1 secret' }]);
  assert.deepEqual(warned, [], 'nothing to warn about');
  assert.throws(
    () =>
      agentOverrides({ relay: ['wss://a.example', 'wss://b.example'], relayTokenFile: [file] }, saved, io),
    /--relay-token-file .*: which of the 2 relays\? write --relay-token-file URL=FILE/,
  );
  assert.throws(
    () => agentOverrides({ relay: ['wss://a.example'], relayTokenFile: [secretFile('')] }, saved, io),
    /--relay-token-file .* is empty; to remove a relay's token, give --relay-token URL=/,
  );

  const old = agentOverrides({ relay: ['wss://r.example'], relayToken: ['on-argv'] }, saved, io);
  assert.deepEqual(old.relays, [{ url: 'wss://r.example', token: 'on-argv' }]);
  assert.equal(warned.length, 1);
  assert.match(
    warned[0]!,
    /^--relay-token is on the command line, where other users of this machine can read it \(ps\); pass it with --relay-token-file/,
  );
  // Removing a token puts no secret on the command line: nothing to warn about.
  warned.length = 0;
  agentOverrides({ relay: ['wss://r.example'], relayToken: ['wss://r.example='] }, saved, io);
  assert.deepEqual(warned, []);
});
