import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentChoices, orderExperimentChoices } from '../../src/extension/experiments/experiment-choice.ts';
import { tempStore } from '../helpers/temp-store.ts';

test('pickers offer the selected experiment, else the most recently used one; an empty Default is last', () => {
  const t = tempStore();
  try {
    const old = t.store.createExperiment('old');
    const recent = t.store.createExperiment('recent');
    t.store.createExperiment('empty');
    t.store.createRun({ experimentId: old.id, startTime: 1000 });
    t.store.createRun({ experimentId: recent.id, startTime: 5000 });
    const names = (selected?: string) => orderExperimentChoices(experimentChoices(t.store), selected).map((c) => c.name);
    assert.deepEqual(names(), ['recent', 'old', 'empty', 'Default']);
    assert.deepEqual(names(old.id), ['old', 'recent', 'empty', 'Default'], 'the tree selection wins');
    t.store.createRun({ experimentId: '0', startTime: 9000 });
    assert.deepEqual(names(), ['Default', 'recent', 'old', 'empty'], 'a Default with the newest run is most recent');
  } finally {
    t.cleanup();
  }
});
