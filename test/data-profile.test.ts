// The streaming data profiler on real files in a temp folder: CSV/TSV/JSON Lines/Parquet give the
// same profile of the same table; missing values, categories, quoted fields; a 1,000,000-row
// file streamed with progress; cancel; fingerprints; clear errors for bad input.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvParser } from '../src/core/monitoring/csv-parser.ts';
import { fingerprintFile } from '../src/core/monitoring/data-fingerprint.ts';
import { profileFile, type ProfileProgress } from '../src/core/monitoring/data-profiler.ts';
import { profileDrift } from '../src/core/monitoring/feature-drift.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loopline-profile-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

// 12 rows: a numeric column with 2 missing, a category column with 1 missing, a boolean, text with
// commas, quotes and a newline inside quotes.
const TABLE = {
  columns: ['age', 'city', 'member', 'note'],
  rows: [
    [31, 'Oslo', true, 'likes "fjords"'],
    [45, 'Bergen', false, 'a, b'],
    [null, 'Oslo', true, 'two\nlines'],
    [22, 'Oslo', false, 'x'],
    [38, null, true, 'y'],
    [51, 'Bergen', true, 'z'],
    [29, 'Tromsø', false, 'w'],
    [null, 'Oslo', true, 'v'],
    [60, 'Bergen', false, 'u'],
    [33, 'Oslo', true, 't'],
    [27, 'Tromsø', true, 's'],
    [40, 'Oslo', false, 'r'],
  ] as Array<[number | null, string | null, boolean, string]>,
};

function csvCell(v: unknown, delim: string): string {
  if (v === null) return '';
  const s = String(v);
  return s.includes(delim) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeTable(name: string): string {
  const path = join(dir, name);
  if (name.endsWith('.csv') || name.endsWith('.tsv')) {
    const d = name.endsWith('.csv') ? ',' : '\t';
    writeFileSync(path, [TABLE.columns.join(d), ...TABLE.rows.map((r) => r.map((v) => csvCell(v, d)).join(d))].join('\r\n') + '\r\n');
  } else {
    writeFileSync(path, TABLE.rows.map((r) => JSON.stringify(Object.fromEntries(TABLE.columns.map((c, i) => [c, r[i]])))).join('\n') + '\n');
  }
  return path;
}

async function writeParquet(name: string): Promise<string> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const path = join(dir, name);
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'age', data: TABLE.rows.map((r) => r[0]), type: 'DOUBLE' },
      { name: 'city', data: TABLE.rows.map((r) => r[1]), type: 'STRING' },
      { name: 'member', data: TABLE.rows.map((r) => r[2]), type: 'BOOLEAN' },
      { name: 'note', data: TABLE.rows.map((r) => r[3]), type: 'STRING' },
    ],
  } as any);
  return path;
}

describe('profile of a small table', () => {
  test('types, missing values, categories, exact quantiles and histogram (CSV)', async () => {
    const p = await profileFile(writeTable('people.csv'));
    assert.equal(p.rows, 12);
    assert.deepEqual(
      p.columns.map((c) => [c.name, c.type, c.missing]),
      [
        ['age', 'numeric', 2],
        ['city', 'categorical', 1],
        ['member', 'boolean', 0],
        ['note', 'categorical', 0],
      ],
    );
    const age = p.columns[0]!;
    const ages = TABLE.rows.map((r) => r[0]).filter((v): v is number => v !== null);
    assert.equal(age.count, 10);
    assert.equal(age.missingRate, 2 / 12);
    assert.equal(age.numeric!.min, 22);
    assert.equal(age.numeric!.max, 60);
    assert.ok(Math.abs(age.numeric!.mean - ages.reduce((a, b) => a + b) / 10) < 1e-12);
    assert.equal(age.numeric!.quantiles.find((q) => q.p === 0.5)!.value, 35.5, 'median of 10 values (numpy linear)');
    assert.equal(age.numeric!.histogram.counts.reduce((a, b) => a + b), 10, 'every value in one bin');
    assert.deepEqual(p.columns[1]!.top!.slice(0, 3), [
      { value: 'Oslo', count: 6 },
      { value: 'Bergen', count: 3 },
      { value: 'Tromsø', count: 2 },
    ]);
    assert.deepEqual(p.columns[2]!.top, [
      { value: 'true', count: 7 },
      { value: 'false', count: 5 },
    ]);
    assert.ok(p.columns[3]!.top!.some((t) => t.value === 'two\nlines') && p.columns[3]!.top!.some((t) => t.value === 'likes "fjords"'));
    assert.equal(p.source.sha256, createHash('sha256').update(readFileSync(join(dir, 'people.csv'))).digest('hex'));
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p, 'a profile is plain JSON');
  });

  test('TSV, JSON Lines and Parquet give the same column profiles as CSV', async () => {
    const strip = (p: Awaited<ReturnType<typeof profileFile>>) => p.columns.map((c) => ({ name: c.name, type: c.type, missing: c.missing, numeric: c.numeric, top: c.top }));
    const csv = strip(await profileFile(writeTable('people.csv')));
    assert.deepEqual(strip(await profileFile(writeTable('people.tsv'))), csv, 'TSV');
    assert.deepEqual(strip(await profileFile(writeTable('people.jsonl'))), csv, 'JSON Lines');
    const pq = await profileFile(await writeParquet('people.parquet'));
    assert.equal(pq.source.format, 'parquet');
    assert.deepEqual(strip(pq), csv, 'Parquet');
  });

  test('JSON Lines: keys that appear later are columns; rows without them count as missing', async () => {
    const path = join(dir, 'late.jsonl');
    writeFileSync(path, '{"a": 1}\n{"a": 2}\nnot json\n{"a": 3, "b": "x"}\n');
    const p = await profileFile(path);
    assert.equal(p.rows, 3);
    assert.deepEqual(p.columns.map((c) => [c.name, c.count, c.missing]), [['a', 3, 0], ['b', 1, 2]]);
    assert.match(p.warnings.join(' '), /1 line\(s\) were not JSON objects/);
  });

  test('correlation matrix of numeric columns', async () => {
    const path = join(dir, 'lin.csv');
    const lines = ['x,y,z,c'];
    for (let i = 0; i < 500; i++) lines.push(`${i},${3 * i + 1},${-i * 0.5},${i % 3 === 0 ? 'a' : 'b'}`);
    writeFileSync(path, lines.join('\n'));
    const p = await profileFile(path);
    assert.deepEqual(p.correlation.columns, ['x', 'y', 'z']);
    assert.ok(Math.abs(p.correlation.values[0]![1]! - 1) < 1e-12);
    assert.ok(Math.abs(p.correlation.values[0]![2]! + 1) < 1e-12);
  });

  test('the CSV parser gives the same rows whatever the chunking', () => {
    const text = 'a,b\r\n"1,5","he said ""hi"""\n"multi\nline",2\r\n3,\n,\n"end"';
    const whole = new CsvParser(',');
    const expected = [...whole.push(text), ...whole.end()];
    assert.deepEqual(expected, [['a', 'b'], ['1,5', 'he said "hi"'], ['multi\nline', '2'], ['3', ''], ['', ''], ['end']]);
    for (const size of [1, 2, 3, 7]) {
      const p = new CsvParser(',');
      const rows: string[][] = [];
      for (let i = 0; i < text.length; i += size) rows.push(...p.push(text.slice(i, i + size)));
      rows.push(...p.end());
      assert.deepEqual(rows, expected, `chunks of ${size}`);
    }
  });
});

describe('large files and bad input', () => {
  test('a 1,000,000-row CSV is streamed with progress; quantiles within the sketch bound; drift against itself is none', async () => {
    const path = join(dir, 'big.csv');
    const out = createWriteStream(path);
    out.write('id,u,group,flag\n');
    let chunk = '';
    for (let i = 0; i < 1_000_000; i++) {
      // u is uniform on [0, 1) by a fixed permutation, so its true quantiles are known.
      chunk += `${i},${((i * 7919) % 1_000_000) / 1_000_000},${'abcd'[i % 4]},${i % 10 === 0 ? 'true' : 'false'}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        chunk = '';
      }
    }
    out.end(chunk);
    await new Promise<void>((r) => out.once('finish', () => r()));
    const progress: ProfileProgress[] = [];
    const p = await profileFile(path, { onProgress: (e) => progress.push(e) });
    assert.equal(p.rows, 1_000_000);
    assert.ok(progress.length > 10, `progress reported ${progress.length} times`);
    assert.ok(progress.every((e, i) => i === 0 || e.bytesRead >= progress[i - 1]!.bytesRead));
    assert.equal(progress.at(-1)!.bytesRead, progress.at(-1)!.totalBytes);
    assert.equal(p.sampleRows, 20_000, 'memory bounded by the sample, not the file');
    const u = p.columns[1]!;
    // DKW bound for m = 20,000 at δ = 0.01: rank error ≤ 0.0115.
    for (const q of u.numeric!.quantiles) assert.ok(Math.abs(q.value - q.p) <= 0.0115 + 1e-6, `u quantile ${q.p}: ${q.value}`);
    assert.equal(u.numeric!.histogram.counts.reduce((a, b) => a + b), 1_000_000);
    assert.deepEqual(p.columns[2]!.top!.map((t) => t.count), [250_000, 250_000, 250_000, 250_000]);
    assert.equal(p.columns[3]!.type, 'boolean');
    const drift = profileDrift(p, p);
    assert.equal(drift.drifted, false);
    assert.equal(drift.skipped.length, 0);
    assert.ok(drift.features.every((f) => f.status === 'ok'), JSON.stringify(drift.features));
  });

  test('an AbortSignal cancels a running profile', async () => {
    const path = join(dir, 'cancel.csv');
    writeFileSync(path, 'a\n' + '1\n'.repeat(3_000_000));
    const ac = new AbortController();
    await assert.rejects(
      profileFile(path, { signal: ac.signal, onProgress: () => ac.abort() }),
      /cancelled/,
    );
  });

  test('fingerprint: hash, size and rows', async () => {
    const path = writeTable('people.csv');
    const f = await fingerprintFile(path);
    assert.deepEqual(f, { name: 'people.csv', format: 'csv', bytes: readFileSync(path).length, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), rows: 12 });
  });

  test('bad input gets errors that say what to do', async () => {
    await assert.rejects(profileFile(join(dir, 'data.xlsx')), /CSV \(\.csv\), TSV/);
    await assert.rejects(profileFile(join(dir, 'missing.csv')), /No such file/);
    writeFileSync(join(dir, 'empty.csv'), '');
    await assert.rejects(profileFile(join(dir, 'empty.csv')), /empty: a CSV file needs a header row/);
    writeFileSync(join(dir, 'bad.jsonl'), 'hello\nworld\n');
    await assert.rejects(profileFile(join(dir, 'bad.jsonl')), /one object per line/);
    writeFileSync(join(dir, 'bad.parquet'), 'not parquet at all');
    await assert.rejects(profileFile(join(dir, 'bad.parquet')), /not a readable Parquet file/);
  });
});
