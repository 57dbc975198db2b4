import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlatYaml } from '../../src/core/importers/flat-yaml.ts';
import { parseYaml } from '../../src/core/importers/source-files.ts';
import { FIXTURES } from '../helpers/import-fixtures.ts';

test("the fast meta.yaml reader agrees with the YAML parser on every fixture's meta.yaml it accepts", () => {
  let accepted = 0;
  let total = 0;
  for (const e of readdirSync(join(FIXTURES, 'mlflow-filestore'), { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name !== 'meta.yaml') continue;
    total++;
    const text = readFileSync(join(e.parentPath, e.name), 'utf8');
    const fast = parseFlatYaml(text);
    const full = parseYaml(text);
    if (fast === undefined) continue;
    accepted++;
    assert.ok(full.ok);
    assert.deepEqual(fast, full.value, join(e.parentPath, e.name));
  }
  assert.ok(accepted >= total * 0.9, `the fast path takes most files (${accepted} of ${total})`);
});

test('the fast meta.yaml reader leaves anything unusual to the YAML parser', () => {
  for (const text of [
    'status: 1.5\n', // a float
    'run_name: 1e3\n', // reads as a number in YAML
    'run_name: true\n',
    'run_name: ~\n',
    'name: a: b\n',
    'tags:\n- a\n',
    "name: 'it''s'\n",
    'name: x # comment\n',
    'name: x\nname: y\n',
    'end_time:\n',
  ]) {
    assert.equal(parseFlatYaml(text), undefined, text);
  }
  assert.deepEqual(parseFlatYaml("run_id: 0d86e3\nstatus: 3\nend_time: null\nexperiment_id: '0'\ntags: []\nsource_version: ''\nrun_name: my run\n"), {
    run_id: '0d86e3',
    status: 3,
    end_time: null,
    experiment_id: '0',
    tags: [],
    source_version: '',
    run_name: 'my run',
  });
});
