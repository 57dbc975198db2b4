// The bench's baseline extension (see package.json): one tree view, one row. Its time from
// activation start to its first getChildren is written where bench:extension reads it.
const vscode = require('vscode');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

exports.activate = (context) => {
  const started = performance.now();
  let first = true;
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('benchMinimal.items', {
      getTreeItem: (label) => new vscode.TreeItem(label),
      getChildren: (parent) => {
        if (parent) return [];
        if (first && process.env.LOOPLINE_BENCH_PROBE_DIR) writeFileSync(join(process.env.LOOPLINE_BENCH_PROBE_DIR, 'minimal-first-render.txt'), String(performance.now() - started));
        first = false;
        return ['minimal-row'];
      },
    }),
  );
};
