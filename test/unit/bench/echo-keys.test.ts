import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { echoKeyCount, MAX_ECHO_KEYS } from '../../../bench/echo-keys.js';

describe('echoKeyCount', () => {
  it("is the row's own count when the variable is unset or empty", () => {
    assert.equal(echoKeyCount(undefined, 40), 40);
    assert.equal(echoKeyCount('', 100), 100);
  });

  it('reads a whole number from 1 to the maximum', () => {
    assert.equal(echoKeyCount('1', 40), 1);
    assert.equal(echoKeyCount('400', 40), 400);
    assert.equal(echoKeyCount(String(MAX_ECHO_KEYS), 40), MAX_ECHO_KEYS);
  });

  it('rejects anything else, naming the variable and the value', () => {
    for (const bad of ['0', '-3', '2.5', 'many', String(MAX_ECHO_KEYS + 1), '1e9']) {
      assert.throws(
        () => echoKeyCount(bad, 40),
        (err: Error) =>
          err.message.includes('CLAWBRIDGE_BENCH_ECHO_KEYS') && err.message.includes(`'${bad}'`),
        bad,
      );
    }
  });
});
