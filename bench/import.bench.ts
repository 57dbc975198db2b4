// Import benchmark: how fast history from other tools comes in. Not a test: it prints figures and
// whether the aims are met, each measured in this run on this machine.
//
//   npm run bench:import            (or: node bench/import.bench.ts, with Node >= 24)
//   LOOPLINE_BENCH_SCALE=0.1        smaller workloads (a quick smoke run)
//
// (1) TensorBoard: a generated event file of 1,000,000 scalar points (standard TFRecord framing,
//     simple_value summaries as torch's SummaryWriter writes them). The floor is reading the same
//     bytes and checking every record's two CRCs; the import (decode + store) is reported as a
//     share of it. Aim: >= 0.3x.
// (2) MLflow file store: 10,000 runs x 10 metrics x 100 points; runs imported per second.
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskCrc } from '../src/core/importers/crc32c.ts';
import { importRuns } from '../src/core/importers/run-import.ts';
import { RunStore } from '../src/core/store/run-store.ts';

const SCALE = Number(process.env.LOOPLINE_BENCH_SCALE ?? '1') || 1;
const POINTS = Math.round(1_000_000 * SCALE);
const RUNS = Math.max(1, Math.round(10_000 * SCALE));
const TAGS = ['train/loss', 'train/accuracy', 'val/loss', 'lr'];

// ---- a small event-file generator ---------------------------------------------------------

function varint(out: number[], n: number): void {
  while (n >= 0x80) out.push((n & 0x7f) | 0x80), (n = Math.floor(n / 128));
  out.push(n);
}

/** One Event{wall_time, step, summary{value{tag, simple_value}}} record with TFRecord framing. */
function scalarRecord(wallTime: number, step: number, tag: Buffer, value: number): Buffer {
  const val: number[] = [0x0a];
  varint(val, tag.length);
  const head = Buffer.from(val);
  const f32 = Buffer.alloc(5);
  f32[0] = 0x15;
  f32.writeFloatLE(value, 1);
  const valueMsg = Buffer.concat([head, tag, f32]);
  const sum: number[] = [0x0a];
  varint(sum, valueMsg.length);
  const summary = Buffer.concat([Buffer.from(sum), valueMsg]);
  const ev: number[] = [];
  const wt = Buffer.alloc(9);
  wt[0] = 0x09;
  wt.writeDoubleLE(wallTime, 1);
  ev.push(0x10);
  varint(ev, step);
  ev.push(0x2a);
  varint(ev, summary.length);
  const data = Buffer.concat([wt, Buffer.from(ev), summary]);
  const rec = Buffer.alloc(12 + data.length + 4);
  rec.writeUInt32LE(data.length, 0);
  rec.writeUInt32LE(maskCrc(crc32c(rec, 0, 8)), 8);
  data.copy(rec, 12);
  rec.writeUInt32LE(maskCrc(crc32c(data)), 12 + data.length);
  return rec;
}

function writeEventFile(file: string, points: number): number {
  const fd = openSync(file, 'w');
  const tags = TAGS.map((t) => Buffer.from(t));
  let bytes = 0;
  try {
    let batch: Buffer[] = [];
    for (let i = 0; i < points; i++) {
      const step = Math.floor(i / TAGS.length);
      batch.push(scalarRecord(1_700_000_000 + i * 0.001, step, tags[i % TAGS.length]!, Math.sin(i) * 10));
      if (batch.length === 10_000 || i === points - 1) {
        const buf = Buffer.concat(batch);
        writeSync(fd, buf);
        bytes += buf.length;
        batch = [];
      }
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The floor: read every byte and check both CRCs of every record, nothing else. */
function readAndCheck(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(4 << 20);
  let filled = 0;
  let records = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      filled += n;
      let pos = 0;
      while (pos + 12 <= filled) {
        const len = buf.readUInt32LE(pos);
        if (pos + 16 + len > filled) break;
        if (maskCrc(crc32c(buf, pos, pos + 8)) !== buf.readUInt32LE(pos + 8)) throw new Error('bad length crc');
        if (maskCrc(crc32c(buf, pos + 12, pos + 12 + len)) !== buf.readUInt32LE(pos + 12 + len)) throw new Error('bad data crc');
        records++;
        pos += 16 + len;
      }
      buf.copyWithin(0, pos, filled);
      filled -= pos;
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

/**
 * For comparison, what one row per point (the storage before metric blocks) costs alone: the
 * same points as rows of the metrics table, through one reused 100-row INSERT in one
 * transaction, with nothing else (no decoding, summaries or tiles).
 */
function insertRowsOnly(dbFile: string, points: number): void {
  const store = RunStore.open(dbFile);
  try {
    const rows = 100;
    const st = store.db.prepare(`INSERT OR IGNORE INTO metrics (series, step, timestamp, value, is_nan) VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}`);
    const args = new Array<number>(rows * 5);
    store.db.transaction(() => {
      for (let i = 0; i < points; i += rows) {
        for (let j = 0; j < rows; j++) {
          const k = i + j;
          args[j * 5] = 1 + (k % TAGS.length);
          args[j * 5 + 1] = Math.floor(k / TAGS.length);
          args[j * 5 + 2] = 1_700_000_000_000 + k;
          args[j * 5 + 3] = Math.sin(k) * 10;
          args[j * 5 + 4] = 0;
        }
        st.run(args);
      }
    })();
  } finally {
    store.close();
  }
}

function writeMlflowStore(root: string, runs: number): void {
  mkdirSync(join(root, '0'), { recursive: true });
  writeFileSync(join(root, '0', 'meta.yaml'), "artifact_location: file:///nowhere/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
  for (let r = 0; r < runs; r++) {
    const id = r.toString(16).padStart(32, '0');
    const dir = join(root, '0', id);
    mkdirSync(join(dir, 'metrics'), { recursive: true });
    mkdirSync(join(dir, 'params'));
    mkdirSync(join(dir, 'tags'));
    writeFileSync(
      join(dir, 'meta.yaml'),
      `artifact_uri: file:///nowhere/0/${id}/artifacts\nend_time: ${1_700_000_100_000 + r}\nentry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${r}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${1_700_000_000_000 + r}\nstatus: 3\ntags: []\nuser_id: bench\n`,
    );
    writeFileSync(join(dir, 'params', 'lr'), String(0.001 * (r % 10)));
    writeFileSync(join(dir, 'tags', 'mlflow.runName'), `run-${r}`);
    for (let m = 0; m < 10; m++) {
      let text = '';
      for (let s = 0; s < 100; s++) text += `${1_700_000_000_000 + s * 1000} ${Math.cos(r + m + s)} ${s}\n`;
      writeFileSync(join(dir, 'metrics', `metric_${m}`), text);
    }
  }
}

function best<T>(rounds: number, fn: () => T): { ms: number; value: T } {
  let out: { ms: number; value: T } | undefined;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const value = fn();
    const ms = performance.now() - t0;
    if (!out || ms < out.ms) out = { ms, value };
  }
  return out!;
}

const work = mkdtempSync(join(tmpdir(), 'loopline-import-bench-'));
try {
  console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; scale ${SCALE}`);
  const logdir = join(work, 'tb', 'run');
  mkdirSync(logdir, { recursive: true });
  const eventFile = join(logdir, 'events.out.tfevents.1700000000.bench.1.0');
  const bytes = writeEventFile(eventFile, POINTS);
  console.log(`\nTensorBoard: ${POINTS.toLocaleString()} points, ${(bytes / 1e6).toFixed(1)} MB event file`);
  const floor = best(3, () => readAndCheck(eventFile));
  if (floor.value !== POINTS) throw new Error(`floor read ${floor.value} records`);
  let round = 0;
  const imp = best(3, () => {
    const store = RunStore.open(join(work, `tb-${round++}.db`));
    try {
      return importRuns(store, { path: join(work, 'tb') }).metricPoints.added;
    } finally {
      store.close();
    }
  });
  if (imp.value !== POINTS) throw new Error(`import stored ${imp.value} points`);
  const floorRate = POINTS / (floor.ms / 1000);
  const importRate = POINTS / (imp.ms / 1000);
  const ratio = importRate / floorRate;
  console.log(`  floor (read + CRC-32C):  ${(floor.ms / 1000).toFixed(2)} s  ${Math.round(floorRate).toLocaleString()} points/s  ${((bytes / 1e6) / (floor.ms / 1000)).toFixed(0)} MB/s`);
  console.log(`  import (decode + store): ${(imp.ms / 1000).toFixed(2)} s  ${Math.round(importRate).toLocaleString()} points/s`);
  console.log(`  import / floor = ${ratio.toFixed(2)}x  (aim >= 0.3x: ${ratio >= 0.3 ? 'met' : 'NOT met'})`);
  const decodeOnly = best(3, () => importRuns(undefined, { path: join(work, 'tb'), dryRun: true }).metricPoints.read);
  console.log(`  of which reading + decoding (dry run): ${(decodeOnly.ms / 1000).toFixed(2)} s  ${Math.round(POINTS / (decodeOnly.ms / 1000)).toLocaleString()} points/s`);
  const sqlOnly = best(1, () => insertRowsOnly(join(work, 'rows-only.db'), POINTS));
  console.log(`  reference, one SQLite row per point (the store before blocks; the same rows, one reused 100-row INSERT, nothing else): ${(sqlOnly.ms / 1000).toFixed(2)} s = ${(floor.ms / sqlOnly.ms).toFixed(2)}x of the floor`);
  const mlruns = join(work, 'mlruns');
  const g0 = performance.now();
  writeMlflowStore(mlruns, RUNS);
  console.log(`\nMLflow file store: ${RUNS.toLocaleString()} runs x 10 metrics x 100 points (generated in ${((performance.now() - g0) / 1000).toFixed(1)} s)`);
  const store = RunStore.open(join(work, 'mlflow.db'));
  try {
    const t0 = performance.now();
    const s = importRuns(store, { path: mlruns });
    const secs = (performance.now() - t0) / 1000;
    if (s.runs.created !== RUNS || s.metricPoints.added !== RUNS * 1000) throw new Error(`imported ${s.runs.created} runs, ${s.metricPoints.added} points`);
    console.log(`  import: ${secs.toFixed(2)} s  ${Math.round(RUNS / secs).toLocaleString()} runs/s  ${Math.round((RUNS * 1000) / secs).toLocaleString()} points/s`);
    const t1 = performance.now();
    const again = importRuns(store, { path: mlruns });
    const secs2 = (performance.now() - t1) / 1000;
    console.log(`  re-import (nothing new, ${again.runs.unchanged} unchanged): ${secs2.toFixed(2)} s  ${Math.round(RUNS / secs2).toLocaleString()} runs/s`);
    console.log(`  store size: ${(statSync(join(work, 'mlflow.db')).size / 1e6).toFixed(0)} MB`);
  } finally {
    store.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
