import * as assert from 'node:assert/strict';
import { looplineApi } from './api.ts';

export function registerTreeTests(): void {
  describe('Experiments view', () => {
    it('shows the seeded experiment with its runs and their metric values', async () => {
      const api = await looplineApi();
      const tree = api.services.experiments;
      const roots = tree.getChildren();
      const exp = roots.find((n) => n.kind === 'experiment' && n.experiment.name === 'iris-sweep');
      assert.ok(exp, `roots: ${roots.map((n) => tree.getTreeItem(n).label).join(', ')}`);
      assert.equal(tree.getTreeItem(exp).description, '3 runs');
      const runs = tree.getChildren(exp);
      assert.deepEqual(runs.map((n) => tree.getTreeItem(n).label).sort(), ['lr-0.05', 'lr-0.2', 'lr-0.8']);
      const item = tree.getTreeItem(runs[0]!);
      assert.match(String(item.description), /val_accuracy \d/);
      assert.match(String(item.contextValue), /^run\.FINISHED\.git\.active$/);
    });
  });
}
