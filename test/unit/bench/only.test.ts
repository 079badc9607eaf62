import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOnly, selects, unknownNames } from '../../../bench/only.js';
import { ROW_NAMES } from '../../../bench/table.js';

describe('parseOnly', () => {
  it('is null without the flag: every row is measured', () => {
    assert.equal(parseOnly(['--json']), null);
  });

  it('reads a comma-separated list after --only or --only=', () => {
    assert.deepEqual(parseOnly(['--only', 'ui-echo,term-echo, renderer-js']), [
      'ui-echo',
      'term-echo',
      'renderer-js',
    ]);
    assert.deepEqual(parseOnly(['--json', '--only=direct']), ['direct']);
  });

  it('refuses an empty list', () => {
    assert.throws(() => parseOnly(['--only']), /comma-separated/);
    assert.throws(() => parseOnly(['--only=,']), /comma-separated/);
  });
});

describe('selects', () => {
  it('selects everything when nothing was asked for', () => {
    assert.equal(selects(null, 'ssh-L'), true);
  });

  it('selects a row by its name or by a prefix ending at a dash', () => {
    const only = ['term-echo', 'ui-echo', 'relay'];
    assert.equal(selects(only, 'term-echo-idle'), true);
    assert.equal(selects(only, 'term-echo-load'), true);
    assert.equal(selects(only, 'ui-echo'), true);
    assert.equal(selects(only, 'ui-echo-bytes'), true);
    assert.equal(selects(only, 'relay'), true);
    assert.equal(selects(only, 'relay-memory'), true);
    assert.equal(selects(only, 'bare-relay'), false);
    assert.equal(selects(only, 'forward-relay'), false);
    assert.equal(selects(['term'], 'terminal'), false);
  });

  it('lets ui-echo alone leave the bytes row out and the other way round', () => {
    assert.equal(selects(['ui-echo-bytes'], 'ui-echo'), false);
    assert.equal(selects(['term-echo-idle'], 'term-echo-load'), false);
  });
});

describe('unknownNames', () => {
  it('names what selects no row (typos)', () => {
    const known = [...ROW_NAMES, 'renderer-js', 'relay-memory'];
    assert.deepEqual(unknownNames(['ui-echo', 'term-echoes', 'renderer'], known), ['term-echoes']);
    assert.deepEqual(unknownNames(null, known), []);
  });
});
