import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digitsFor, digitsForRange, formatAgo, formatBytes, formatCount, formatDelta, formatDuration, formatExact, formatNumber, formatStepTick } from '../../src/shared/display-format.ts';
import { RUN_STATUSES, STATUS_GLYPH, STATUS_ICON, STATUS_WORD, formatStatus, statusWord } from '../../src/shared/run-status.ts';
import { fromWire, toWire } from '../../src/shared/wire-number.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

test('durations read 665 ms, 1.2 s, 3 m 05 s, 2 h 10 m', () => {
  assert.equal(formatDuration(665), '665 ms');
  assert.equal(formatDuration(0), '0 ms');
  assert.equal(formatDuration(1234), '1.2 s');
  assert.equal(formatDuration(9949), '9.9 s');
  assert.equal(formatDuration(9951), '10 s', 'no "10.0 s"');
  assert.equal(formatDuration(59_600), '1 m 00 s', 'rounding up to a minute does not print "60 s"');
  assert.equal(formatDuration(185_000), '3 m 05 s');
  assert.equal(formatDuration((2 * 3600 + 10 * 60 + 29) * 1000), '2 h 10 m');
  assert.equal(formatDuration((3 * 86400 + 4 * 3600) * 1000), '3 d 4 h');
  assert.equal(formatDuration(-1500), '-1.5 s', 'before the start of a run, on a chart axis');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(NaN), '—');
});

test('relative times say how long ago, in the same units', () => {
  const now = 1_000_000_000;
  assert.equal(formatAgo(now - 12_000, now), '12 s ago');
  assert.equal(formatAgo(now - 5 * 60_000, now), '5 m ago');
  assert.equal(formatAgo(now - 3 * 3_600_000, now), '3 h ago');
  assert.equal(formatAgo(now - 2 * 86_400_000, now), '2 d ago');
  assert.equal(formatAgo(now + 5000, now), '0 s ago', 'clock skew never prints a negative age');
});

test('significant digits follow the range of a metric, so close values stay apart', () => {
  // Accuracies a few thousandths apart: four digits tell them apart, more would be noise.
  const acc = [0.966667, 0.961234, 0.95];
  const d = digitsFor(acc);
  assert.deepEqual(acc.map((v) => formatNumber(v, d)), ['0.9667', '0.9612', '0.95']);
  // Values 1e-5 apart need more digits.
  const close = [0.912345, 0.912349];
  assert.notEqual(formatNumber(close[0]!, digitsFor(close)), formatNumber(close[1]!, digitsFor(close)));
  // Widely spread losses do not get eight digits.
  assert.equal(formatNumber(2.3456789, digitsForRange(0.05, 2.35)), '2.35');
  assert.equal(digitsFor([0.5]), 4, 'one value: the default');
  // A sweep whose best run reaches 1.0: still four decimals, as for the others.
  const sweep = [1, 0.966667, 0.933333];
  assert.deepEqual(sweep.map((v) => formatNumber(v, digitsFor(sweep))), ['1', '0.9667', '0.9333']);
  assert.deepEqual([0.0012, 2.3].map((v) => formatNumber(v, digitsFor([0.0012, 2.3]))), ['0.0012', '2.3'], 'small values keep their own digits');
  assert.equal(digitsFor([NaN, null, Infinity]), 4, 'nothing finite: the default');
});

test('numbers: integers as they are, tiny and huge in exponent form, NaN and infinities named', () => {
  assert.equal(formatNumber(42), '42');
  assert.equal(formatNumber(-3), '-3');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(0.1 + 0.2), '0.3');
  assert.equal(formatNumber(0.000012346), '1.235e-5');
  assert.equal(formatNumber(1.5e12), '1500000000000');
  assert.equal(formatNumber(1.23456e20), '1.235e+20');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(Infinity), '∞');
  assert.equal(formatNumber(-Infinity), '-∞');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatDelta(0.0123), '+0.0123');
  assert.equal(formatDelta(-4), '−4');
  assert.equal(formatDelta(0), '±0');
});

test('full precision for hovers and exports keeps every digit', () => {
  assert.equal(formatExact(0.9666666666666667), '0.9666666666666667');
  assert.equal(Number(formatExact(0.1 + 0.2)), 0.1 + 0.2);
  assert.equal(formatExact(-Infinity), '-Infinity');
});

test('steps and sizes', () => {
  assert.deepEqual([950, 1200, 16192, 3_000_000].map(formatStepTick), ['950', '1.2k', '16k', '3M']);
  assert.deepEqual([512, 1536, 20 * 1024 * 1024].map(formatBytes), ['512 B', '1.5 KB', '20 MB']);
});

test('a status is one word with its icon, the same everywhere', () => {
  for (const s of RUN_STATUSES) {
    assert.match(STATUS_WORD[s], /^[a-z]+$/);
    assert.ok(STATUS_GLYPH[s] && STATUS_ICON[s].icon);
    assert.equal(formatStatus(s), `${STATUS_GLYPH[s]} ${STATUS_WORD[s]}`);
  }
  assert.equal(statusWord('FINISHED'), 'finished');
  assert.equal(statusWord('SCHEDULED'), 'queued');
  assert.equal(new Set(Object.values(STATUS_WORD)).size, RUN_STATUSES.length);
});

test('one wire encoding for NaN and infinities, and it round-trips', () => {
  for (const v of [1.5, -0.25, NaN, Infinity, -Infinity]) assert.ok(Object.is(fromWire(toWire(v)), v));
  assert.equal(JSON.stringify([1, NaN, -Infinity].map(toWire)), '[1,"NaN","-Infinity"]');
  assert.ok(Number.isNaN(fromWire(null)));
});

test('there is one formatter: no other module formats durations or repeats the status list', () => {
  const offenders: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  for (const f of [...walk(join(REPO_ROOT, 'src')), ...walk(join(REPO_ROOT, 'webview-ui'))]) {
    if (f.includes(`${join('src', 'shared')}`)) continue;
    const text = readFileSync(f, 'utf8');
    if (/function\s+format(Duration|Seconds|Ago|Number|Value|Metric)\b/.test(text)) offenders.push(`${f}: defines its own formatter`);
    if (/'RUNNING'\s*\|\s*'SCHEDULED'\s*\|/.test(text) || /\[\s*'RUNNING',\s*'SCHEDULED',\s*'FINISHED'/.test(text)) offenders.push(`${f}: repeats the status list`);
    if (/===\s*-?Infinity\)\s*return\s*'-?Infinity'/.test(text)) offenders.push(`${f}: encodes wire numbers itself`);
  }
  assert.deepEqual(offenders, []);
});

test('counts are grouped by thousands, negative and rounded ones too', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1,000');
  assert.equal(formatCount(10_000_000), '10,000,000');
  assert.equal(formatCount(-1234567.6), '-1,234,568');
  assert.equal(formatCount(NaN), '—');
});

test('digits of a typed column are those of the same values in an array (NaN and infinities ignored)', () => {
  for (const vals of [[0.9612, 0.9667, NaN], [2.31, 0.05], [1, Infinity, 1.5, -Infinity], [NaN, NaN], []]) {
    assert.equal(digitsFor(Float64Array.from(vals)), digitsFor(vals), JSON.stringify(vals));
  }
});
