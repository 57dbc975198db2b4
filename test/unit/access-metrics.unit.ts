import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMetrics, parseAccessLine, readAccessLog, summarizeAccess } from '../../src/core/deploy/access-metrics.ts';
import type { Slot } from '../../src/core/deploy/nginx-config.ts';

// Real lines written by the deployment proxy (nginx, `log_format loopline`) during test/deploy.test.ts.
const REAL = [
  '{"time":1796126038.195,"status":200,"upstream":"192.168.96.2:8080","request_time":0.005,"upstream_status":"200"}',
  '{"time":1796126038.217,"status":200,"upstream":"192.168.96.2:8080","request_time":0.002,"upstream_status":"200"}',
  '{"time":1796126038.274,"status":200,"upstream":"192.168.96.2:8080","request_time":0.043,"upstream_status":"200"}',
  '{"time":1796126039.755,"status":502,"upstream":"192.168.96.4:8080","request_time":0.001,"upstream_status":"502"}',
  '{"time":1796126044.790,"status":499,"upstream":"192.168.96.5:8080","request_time":2.003,"upstream_status":"-"}',
  '{"time":1796126055.814,"status":504,"upstream":"192.168.96.5:8080","request_time":2.001,"upstream_status":"504"}',
];

const slot = (id: string, version: number, address: string, startedTime = 0): Slot => ({ id, container: `c-${id}`, containerId: id, version, alias: null, weight: 50, role: 'live', address, startedTime });

test('parses the proxy log lines: time, status, upstream, latency', () => {
  assert.deepEqual(parseAccessLine(REAL[0]!), { time: 1796126038.195, status: 200, upstream: '192.168.96.2:8080', requestTime: 0.005 });
  // nginx lists every upstream it tried; the last one answered.
  assert.equal(parseAccessLine('{"time":1.5,"status":200,"upstream":"10.0.0.2:8080, 10.0.0.3:8080","request_time":0.010,"upstream_status":"502, 200"}')!.upstream, '10.0.0.3:8080');
  assert.equal(parseAccessLine('{"time":1.5,"status":200,"upstream":"10.0.0.2:8080 : 10.0.0.4:8080","request_time":0.010,"upstream_status":"200"}')!.upstream, '10.0.0.4:8080');
  for (const bad of ['', '{"time":1796126038.1', 'not json', '{"status":200}']) assert.equal(parseAccessLine(bad), null, bad);
});

test('per-version count, error rate (5xx) and p50/p95, by the address that answered', () => {
  const entries = REAL.map((l) => parseAccessLine(l)!);
  const [a, b, c] = summarizeAccess(entries, [slot('a', 1, '192.168.96.2'), slot('b', 2, '192.168.96.4'), slot('c', 3, '192.168.96.5')]);
  assert.deepEqual(a, { version: 1, slot: 'a', requests: 3, errors: 0, errorRate: 0, p50Ms: 5, p95Ms: 43 });
  assert.equal(b!.errors, 1);
  assert.equal(b!.errorRate, 1);
  // 499 (client went away) is not the version's error; 504 is.
  assert.equal(c!.requests, 2);
  assert.equal(c!.errors, 1);
  assert.equal(c!.errorRate, 0.5);
  // A window (the settle period) and a slot's start (addresses are reused) both cut older lines.
  assert.equal(summarizeAccess(entries, [slot('a', 1, '192.168.96.2')], 1796126038.2)[0]!.requests, 2);
  assert.equal(summarizeAccess(entries, [slot('c', 3, '192.168.96.5', 1796126050_000)])[0]!.requests, 1);
  assert.match(formatMetrics(a), /^3 req · 0% err · p50 5 ms · p95 43 ms$/);
  assert.equal(formatMetrics(undefined), 'no requests yet');
});

test('reads the log tail, skipping a line cut in the middle and a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopline-access-'));
  try {
    const file = join(dir, 'access.log');
    assert.deepEqual(readAccessLog(file), []);
    writeFileSync(file, `${REAL.join('\n')}\n{"time":17961260`);
    assert.equal(readAccessLog(file).length, 6);
    assert.equal(readAccessLog(file, REAL[5]!.length + 30).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
