import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isEventFile } from '../../src/core/importers/format-detection.ts';
import { decodeEvent, decodeSimpleScalars } from '../../src/core/importers/tensorboard-events.ts';
import { readTfRecords } from '../../src/core/importers/tfrecord-reader.ts';
import { FIXTURES } from '../helpers/import-fixtures.ts';

test('the allocation-free scalar decoder reads every record it accepts exactly as the general decoder does', () => {
  let fast = 0;
  let records = 0;
  for (const e of readdirSync(join(FIXTURES, 'tensorboard'), { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !isEventFile(e.name)) continue;
    readTfRecords(
      join(e.parentPath, e.name),
      (buf, start, end) => {
        records++;
        const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        const s = decodeSimpleScalars(buf, view, start, end);
        if (!s) return;
        fast++;
        const ev = decodeEvent(buf, start, end);
        assert.deepEqual(
          { wallTime: s.wallTime, step: s.step, scalars: s.tags.slice(0, s.count).map((tag, i) => ({ tag, value: s.values[i] })) },
          { wallTime: ev.wallTime, step: ev.step, scalars: ev.scalars },
        );
        assert.deepEqual(ev.other, []);
      },
      () => {},
    );
  }
  assert.ok(fast > 100, `the fast path took ${fast} of ${records} records`);
});
