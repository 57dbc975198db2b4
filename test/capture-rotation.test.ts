import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureStore, captureLogFiles } from '../src/core/capture/capture-store.ts';
import { tempStore } from './helpers/temp-store.ts';

// The reader of the proxy's capture logs, over real files laid out as nginx and the capture helper
// write them (capture.jsonl rotated to capture.jsonl.1 … .N, answers under responses/REQUEST_ID).
const id = (n: number) => n.toString(16).padStart(32, '0');
const request = (n: number, upstream: string, status = 200) =>
  `${JSON.stringify({ type: 'request', time: 1796130000 + n, request_id: id(n), status, request_time: 0.004, upstream, request: `{"instances": [[${n}, 1, 1, 1]]}` })}\n`;

test('capture logs are read across rotations in order, each line once, with the answering version and its stored answer', () => {
  const t = tempStore();
  try {
    const logs = join(t.dir, 'logs');
    mkdirSync(join(logs, 'responses'), { recursive: true });
    const capture = new CaptureStore(t.store.db);
    const versions: Record<string, number> = { '10.0.0.2:8080': 1, '10.0.0.3:8080': 2 };
    const versionOf = (upstream: string) => versions[upstream] ?? null;
    const answer = (n: number) => writeFileSync(join(logs, 'responses', id(n)), `{"predictions": ["v${n}"]}`);
    const log = join(logs, 'capture.jsonl');

    assert.deepEqual(capture.ingest('d', log, versionOf), { requests: 0, feedback: 0, skipped: 0 });
    for (let n = 1; n <= 3; n++) {
      answer(n);
      appendFileSync(log, request(n, n === 2 ? '10.0.0.3:8080' : '10.0.0.2:8080'));
    }
    appendFileSync(log, `${JSON.stringify({ type: 'request', time: 1796130004, request_id: id(4), status: 200, request_time: 0.01, upstream: '10.0.0.3:8080, 10.0.0.2:8080', request: '{}' })}\n`);
    answer(4);
    appendFileSync(log, '{"type":"request","time":179613'); // a line still being written
    assert.deepEqual(capture.ingest('d', log, versionOf), { requests: 4, feedback: 0, skipped: 0 });
    // The stored answers were taken into the store and removed from the proxy's folder.
    assert.deepEqual(readdirSync(join(logs, 'responses')), []);

    // Rotation: the file is renamed; nginx keeps writing to it until it reopens, then starts a new one.
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, `0005,"request_id":"${id(5)}","status":500,"request_time":0.002,"upstream":"10.0.0.2:8080","request":"x"}\n`);
    appendFileSync(`${log}.1`, request(6, '10.0.0.3:8080'));
    answer(6);
    appendFileSync(log, request(7, '10.0.0.2:8080'));
    appendFileSync(log, `${JSON.stringify({ type: 'feedback', time: 1796130008, body: JSON.stringify({ request_id: id(7), label: 'setosa' }) })}\n`);
    appendFileSync(log, `${JSON.stringify({ type: 'feedback', time: 1796130009, body: 'not json' })}\n`);
    answer(7);
    // A second rotation before the next read: .1 becomes .2, read first.
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    appendFileSync(log, request(8, '10.0.0.9:8080'));
    assert.deepEqual(captureLogFiles(logs).map((f) => f.path.slice(logs.length + 1)), ['capture.jsonl.2', 'capture.jsonl.1', 'capture.jsonl']);
    assert.deepEqual(capture.ingest('d', log, versionOf), { requests: 4, feedback: 1, skipped: 1 });
    assert.deepEqual(capture.ingest('d', log, versionOf), { requests: 0, feedback: 0, skipped: 0 });

    const got = capture.requests('d', { last: 100 });
    assert.deepEqual(
      got.map((c) => [c.requestId, c.version, c.status, c.response]),
      [
        [id(1), 1, 200, '{"predictions": ["v1"]}'],
        [id(2), 2, 200, '{"predictions": ["v2"]}'],
        [id(3), 1, 200, '{"predictions": ["v3"]}'],
        // Version 2 failed, version 1 answered: the capture names the one whose answer the client got.
        [id(4), 1, 200, '{"predictions": ["v4"]}'],
        [id(5), 1, 500, ''],
        [id(6), 2, 200, '{"predictions": ["v6"]}'],
        [id(7), 1, 200, '{"predictions": ["v7"]}'],
        [id(8), null, 200, ''],
      ],
    );
    assert.equal(got[0]!.latencyMs, 4);
    assert.equal(got[0]!.time, 1796130001_000);
    assert.equal(capture.feedback('d').get(id(7))?.label, 'setosa');

    // A late line in an older file is still read; a new proxy starts over from the start of every file.
    appendFileSync(`${log}.2`, request(9, '10.0.0.2:8080'));
    assert.equal(capture.ingest('d', log, versionOf).requests, 1);
    capture.resetLog('d');
    assert.equal(capture.ingest('d', log, versionOf).requests, 9);
    assert.ok(!existsSync(join(logs, 'responses', id(1))));
  } finally {
    t.cleanup();
  }
});
