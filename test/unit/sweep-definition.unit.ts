import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillCommand } from '../../src/core/sweeps/command-template.ts';
import { medianStoppingDecision } from '../../src/core/sweeps/median-stopping.ts';
import { expandTrials, parseEarlyStop, parseParamSpec, type SweepDefinition } from '../../src/core/sweeps/sweep-definition.ts';

const base = (over: Partial<SweepDefinition>): SweepDefinition => ({ version: 1, command: ['t'], cwd: '/', params: [], strategy: 'grid', seed: 1, parallel: 1, backend: { kind: 'local' }, ...over });

test('a grid is the cross product of the lists, first param outermost', () => {
  const trials = expandTrials(base({ params: [parseParamSpec('lr=0.1,0.01'), parseParamSpec('epochs=20,50,80')] }));
  assert.deepEqual(trials.map((t) => `${t.lr}/${t.epochs}`), ['0.1/20', '0.1/50', '0.1/80', '0.01/20', '0.01/50', '0.01/80']);
});

test('random trials depend only on the seed, and int bounds are inclusive', () => {
  const params = [parseParamSpec('lr=loguniform:1e-4:1e-1'), parseParamSpec('d=int:2:3'), parseParamSpec('opt=choice:adam,sgd')];
  const a = expandTrials(base({ strategy: 'random', samples: 200, seed: 9, params }));
  assert.deepEqual(a, expandTrials(base({ strategy: 'random', samples: 200, seed: 9, params })));
  assert.notDeepEqual(a, expandTrials(base({ strategy: 'random', samples: 200, seed: 10, params })));
  assert.deepEqual([...new Set(a.map((t) => t.d))].sort(), ['2', '3']);
  assert.deepEqual([...new Set(a.map((t) => t.opt))].sort(), ['adam', 'sgd']);
  // log-uniform: about as many draws below 1e-3 as between 1e-3 and 1e-2
  const low = a.filter((t) => Number(t.lr) < 1e-3).length;
  const mid = a.filter((t) => Number(t.lr) >= 1e-3 && Number(t.lr) < 1e-2).length;
  assert.ok(low > 40 && mid > 40, `${low} ${mid}`);
});

test('bad param and early-stop specs say what to write instead', () => {
  assert.throws(() => parseParamSpec('lr=uniform:1'), /needs exactly two bounds/);
  assert.throws(() => parseParamSpec('lr=uniform:2:1'), /LOW must be less than HIGH/);
  assert.throws(() => parseParamSpec('lr=int:1.5:3'), /whole numbers/);
  assert.throws(() => parseParamSpec('1lr=1'), /must start with a letter/);
  assert.throws(() => parseEarlyStop('metric=loss,mode=up'), /mode must be min or max/);
  assert.throws(() => parseEarlyStop('metric=loss,patience=3'), /unknown key 'patience'/);
  assert.deepEqual(parseEarlyStop('metric=loss'), { metric: 'loss', mode: 'min', minSteps: 5, minTrials: 2 });
});

test('placeholders fill whole values into single arguments', () => {
  assert.deepEqual(fillCommand(['python3', 'train.py', '--lr={lr}', '{name}'], { lr: '0.1', name: 'a b; rm -rf /' }), ['python3', 'train.py', '--lr=0.1', 'a b; rm -rf /']);
  assert.throws(() => fillCommand(['{x}'], {}), /no param 'x'/);
});

test('the median stopping rule stops only a trial worse than the median, after min-steps and with enough others', () => {
  const spec = parseEarlyStop('metric=loss,mode=min,min-steps=5');
  assert.equal(medianStoppingDecision(spec, { bestSoFar: 9, step: 4 }, [1, 2, 3]).stop, false); // too early
  assert.equal(medianStoppingDecision(spec, { bestSoFar: 9, step: 5 }, [1]).stop, false); // one other is not enough
  assert.equal(medianStoppingDecision(spec, { bestSoFar: 2, step: 5 }, [1, 2, 3]).stop, false); // equal to the median
  const d = medianStoppingDecision(spec, { bestSoFar: 2.5, step: 5 }, [1, 2, 3, 4]);
  assert.equal(d.stop, false); // median of 1..4 is 2.5
  const stop = medianStoppingDecision(spec, { bestSoFar: 3, step: 7 }, [1, 2, NaN, 4]);
  assert.equal(stop.stop, true);
  assert.match(stop.reason!, /best loss 3 by step 7 is worse than the median 2 of 3 other trials/);
  assert.equal(medianStoppingDecision(parseEarlyStop('metric=acc,mode=max,min-steps=0'), { bestSoFar: 0.5, step: 0 }, [0.6, 0.7]).stop, true);
});
