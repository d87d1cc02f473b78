/**
 * The features.ini checker's verdicts on made-up observations: a line passes only when it
 * says what was observed; a wrong claim, a P, a feature the checker does not observe, a
 * duplicate, a malformed line, a line outside [Features] and an observed feature left out all
 * fail, and registerFeatures' test throws with one line per failure.
 */
import test from 'ava';
import { compareFeatures, featuresFailures, registerFeatures, type ObservedFeatures } from '../testing.js';

const observed: ObservedFeatures = {
  'Basic stats': { value: 'Y', why: 'sent 7, counted 7' },
  'MTU update': { value: 'N', why: 'no mtuSet op' },
  'Linux': { value: 'Y', why: 'started and sent on linux' },
};

test('a features.ini that says what was observed passes, every line checked', (t) => {
  const v = compareFeatures('; comment\n[Features]\nBasic stats   = Y\nMTU update    = N\nLinux = Y\n', observed);
  t.deepEqual(v.map((x) => [x.line, x.feature, x.claim, x.observed, x.ok]), [
    [3, 'Basic stats', 'Y', 'Y', true], [4, 'MTU update', 'N', 'N', true], [5, 'Linux', 'Y', 'Y', true],
  ]);
  t.is(featuresFailures(v), undefined);
});

test('every kind of wrong line fails, with its line number and the reason', (t) => {
  const ini = [
    '[Features]',
    'Basic stats = N', // 2: claims N, observed Y
    'MTU update = P', // 3: nothing observes partial
    'RSS hash = Y', // 4: not observed by the checker
    'Basic stats = Y', // 5: duplicate
    'Linux: yes', // 6: malformed
    '[Other]',
    'x86-64 = Y', // 8: outside [Features]
    '',
  ].join('\n');
  const v = compareFeatures(ini, { ...observed, 'Link status': { value: 'Y', why: 'up after start' } });
  const bad = v.filter((x) => !x.ok).map((x) => [x.line, x.feature]);
  t.deepEqual(bad, [[2, 'Basic stats'], [3, 'MTU update'], [4, 'RSS hash'], [5, 'Basic stats'], [6, ''], [8, 'x86-64'],
    [undefined, 'Linux'], [undefined, 'Link status']]);
  const msg = featuresFailures(v)!;
  t.is(msg.split('\n')[0], 'features.ini: 8 of 8 checks fail:');
  t.true(msg.includes(`line 2 'Basic stats = N': the port says Y: sent 7, counted 7`));
  t.true(msg.includes(`line 4 'RSS hash = Y': the checker does not observe 'RSS hash'`));
  t.true(msg.includes(`line 6: 'Linux: yes' is not 'Feature name = Y|P|N'`));
  t.true(msg.includes(`line 8: 'x86-64' is outside the [Features] section`));
  t.true(msg.includes(`'Link status': left out; the port: up after start`));
});

test('registerFeatures registers one test that throws the failures and passes a true file', async (t) => {
  const tests: { title: string; impl: (t: { pass(): void }) => unknown }[] = [];
  const fn = Object.assign((title: string, impl: (t: { pass(): void }) => unknown) => { tests.push({ title, impl }); }, { skip: () => t.fail('nothing skipped') });
  registerFeatures(fn, '[Features]\nBasic stats = Y\nMTU update = Y\nLinux = Y\n', { name: 'net_mine', observe: () => observed });
  registerFeatures(fn, '[Features]\nBasic stats = Y\nMTU update = N\nLinux = Y\n', { name: 'net_mine', observe: () => observed });
  t.deepEqual(tests.map((x) => x.title), ['net_mine: features.ini says what the port does', 'net_mine: features.ini says what the port does']);
  let passed = 0;
  const err = await t.throwsAsync(async () => tests[0]!.impl({ pass: () => passed++ }));
  t.is(err!.message, `features.ini: 1 of 3 checks fail:\n  line 3 'MTU update = Y': the port says N: no mtuSet op`);
  await tests[1]!.impl({ pass: () => passed++ });
  t.is(passed, 1);
});
