import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadOrCreateUiToken,
  newUiToken,
  saveUiToken,
  tokenMatches,
  UI_TOKEN_FILE,
} from '../../../src-main/api/web-ui/ui-token.js';
import { tempDir } from '../../helpers/temp-dir.js';

const home = () => tempDir('cb-token-');

test('a token is 32 random bytes in hex, matched only exactly', () => {
  const token = newUiToken();
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.notEqual(newUiToken(), token);
  assert.equal(tokenMatches(token, token), true);
  assert.equal(tokenMatches(token.toUpperCase(), token), false);
  assert.equal(tokenMatches(token.slice(0, 63), token), false);
  assert.equal(tokenMatches(token + '0', token), false);
  assert.equal(tokenMatches('', token), false);
  assert.equal(tokenMatches(undefined, token), false);
  assert.equal(tokenMatches(42, token), false);
  assert.equal(tokenMatches({ toString: () => token }, token), false);
});

test('the token file is created 0600, kept across loads, replaced by save', () => {
  const h = home();
  const first = loadOrCreateUiToken(h);
  const path = join(h, UI_TOKEN_FILE);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(loadOrCreateUiToken(h), first);
  const next = newUiToken();
  saveUiToken(h, next);
  assert.equal(readFileSync(path, 'utf8'), next + '\n');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(loadOrCreateUiToken(h), next);
});

test('a token others could read, or a file that holds no token, is replaced', () => {
  const h = home();
  const path = join(h, UI_TOKEN_FILE);
  const leaked = newUiToken();
  writeFileSync(path, leaked);
  chmodSync(path, 0o644);
  const replaced = loadOrCreateUiToken(h);
  assert.notEqual(replaced, leaked);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileSync(path, 'not a token', { mode: 0o600 });
  assert.match(loadOrCreateUiToken(h), /^[0-9a-f]{64}$/);
});
