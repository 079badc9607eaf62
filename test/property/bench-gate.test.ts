/**
 * The release gate's judgement (bench/compare-gate.ts) under fast-check: which way is better and the
 * 10 % threshold, for any positive figures.
 * - a row that did not get worse passes, whichever way is better;
 * - a row fails exactly when it is worse than the base by more than the limit: a rate below 0.9× its
 *   base, a time above 1.1× (a hair inside passes, a hair outside fails);
 * - the verdict does not depend on the unit: both figures scaled alike judge the same;
 * - a higher-is-better row judges as the lower-is-better row of its reciprocal would only where the
 *   two agree: a rate halved is a time doubled, and both fail;
 * - the gate fails exactly when some row is WORSE (or not measured), and names exactly those rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { judge, judgeRow, REGRESSION_LIMIT, type Better } from '../../bench/compare-gate.js';

const positive = fc.double({ min: 1e-3, max: 1e6, noNaN: true, noDefaultInfinity: true });
const better = fc.constantFrom<Better>('higher', 'lower');

test('a row that did not get worse passes, whichever way is better', () => {
  fc.assert(
    fc.property(positive, fc.double({ min: 0, max: 10, noNaN: true }), better, (base, gain, way) => {
      const head = way === 'higher' ? base * (1 + gain) : base / (1 + gain);
      const v = judgeRow({ name: 'r', better: way, base, head }).verdict;
      assert.equal(v, 'PASS', `${way} ${base} → ${head} did not get worse`);
    }),
  );
});

test('a row fails exactly when it is worse than the limit: a hair inside passes, a hair outside fails', () => {
  fc.assert(
    fc.property(positive, better, fc.double({ min: 1e-6, max: 0.5, noNaN: true }), (base, way, hair) => {
      const inside = REGRESSION_LIMIT * (1 - hair);
      const outside = REGRESSION_LIMIT * (1 + hair);
      const at = (share: number) => (way === 'higher' ? base * (1 - share) : base * (1 + share));
      assert.equal(
        judgeRow({ name: 'r', better: way, base, head: at(inside) }).verdict,
        'PASS',
        `inside ${inside}`,
      );
      assert.equal(
        judgeRow({ name: 'r', better: way, base, head: at(outside) }).verdict,
        'WORSE',
        `outside ${outside}`,
      );
    }),
  );
});

test('both figures scaled alike judge the same', () => {
  fc.assert(
    fc.property(
      positive,
      positive,
      better,
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      (base, head, way, k) => {
        const a = judgeRow({ name: 'r', better: way, base, head });
        const b = judgeRow({ name: 'r', better: way, base: base * k, head: head * k });
        // Away from the limit itself, where scaling's rounding could tip a row on it either way.
        fc.pre(Math.abs(a.worseBy! - REGRESSION_LIMIT) > 1e-6);
        assert.equal(b.verdict, a.verdict, `${base}, ${head} scaled by ${k}`);
      },
    ),
  );
});

test('a rate and the time it takes agree: the rate on its way and the time on the other fail together', () => {
  fc.assert(
    fc.property(positive, fc.double({ min: 0.01, max: 100, noNaN: true }), (base, factor) => {
      const rate = judgeRow({ name: 'r', better: 'higher', base, head: base * factor });
      const time = judgeRow({ name: 't', better: 'lower', base: 1 / base, head: 1 / (base * factor) });
      // A rate 10 % lower is a time 11.1 % longer: a slower build fails both once the rate is past the limit.
      if (rate.verdict === 'WORSE')
        assert.equal(time.verdict, 'WORSE', `rate ×${factor} failed, time did not`);
      if (time.verdict === 'PASS')
        assert.equal(rate.verdict, 'PASS', `time passed at rate ×${factor}, rate did not`);
    }),
  );
});

test('the gate fails exactly when some row is worse or not measured, and names exactly those rows', () => {
  const row = fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }),
    better,
    base: fc.option(positive, { nil: null }),
    head: fc.option(positive, { nil: null }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(row, { selector: (r) => r.name, maxLength: 12 }), (rows) => {
      const v = judge(rows);
      const worse = v.rows.filter((r) => r.verdict === 'WORSE').map((r) => r.name);
      const missing = rows.filter((r) => r.head === null).map((r) => r.name);
      assert.deepEqual(v.regressions, worse, 'regressions are the WORSE rows');
      assert.deepEqual(v.unmeasured, missing, 'unmeasured are the rows with no figure here');
      assert.equal(v.pass, worse.length === 0 && missing.length === 0, 'the gate passes only when neither');
      assert.equal(judge(rows, { missing: 'skip' }).pass, worse.length === 0, 'skipping: WORSE rows only');
    }),
  );
});
