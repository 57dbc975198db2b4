import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelRegistry } from '../../src/core/registry/model-registry.ts';
import { RunStore } from '../../src/core/store/run-store.ts';
import { REPO_ROOT } from './paths.ts';
import { seedIrisWorkspace } from './seed-workspace.ts';
import { tempDir } from './temp-store.ts';

export const SERVING_IMAGE = process.env.LOOPLINE_PYTHON_IMAGE ?? 'loopline/python:bookworm';
export const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

// A server that answers one prediction short for batches of more than 3 rows: the wrong-length case.
const SHORT_SERVER = `
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self): self.send(200, {"status": "ok"})
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        n = len(body["dataframe_split"]["data"])
        self.send(200, {"predictions": ["setosa"] * (n - 1 if n > 3 else n)})
ThreadingHTTPServer(("0.0.0.0", int(sys.argv[sys.argv.index("--port") + 1])), H).serve_forever()
`;

export const serveYaml = (command: string, extra = '') => `serve:\n  image: ${SERVING_IMAGE}\n  command: ${command}\n  port: 8080\n  health: /ping\n${extra}`;
export const IRIS_SERVE = 'python3 serve.py --model /model --probabilities';

/**
 * A git project with a real Iris training run registered twice: iris/1 (@champion) served by the
 * example's serve.py with probabilities, iris/2 (same files) served by a server that answers one
 * prediction short. The serve spec is recorded with each version at registration.
 */
export function scoringProject() {
  const t = tempDir('loopline-scoring-');
  const dir = seedIrisWorkspace(join(t.dir, 'iris'), ['0.5'], 60);
  cpSync(join(REPO_ROOT, 'examples', 'iris', 'serve.py'), join(dir, 'serve.py'));
  writeFileSync(join(dir, 'short_serve.py'), SHORT_SERVER);
  writeFileSync(join(dir, 'loopline.yaml'), serveYaml(IRIS_SERVE));
  const store = RunStore.open(join(dir, '.loopline', 'loopline.db'));
  const registry = new ModelRegistry(store);
  const runId = store.searchRuns({ experimentIds: [store.getExperimentByName('iris-sweep').id] }).runs[0]!.info.id;
  registry.registerVersion({ model: 'iris', runId, path: 'model' });
  registry.setAlias('iris', 'champion', 1);
  writeFileSync(join(dir, 'loopline.yaml'), serveYaml('python3 short_serve.py'));
  registry.registerVersion({ model: 'iris', runId, path: 'model' });
  writeFileSync(join(dir, 'loopline.yaml'), serveYaml(IRIS_SERVE));
  const lines = readFileSync(join(dir, 'iris.csv'), 'utf8').trim().split('\n').slice(1);
  return {
    dir,
    store,
    registry,
    runId,
    irisRows: lines.map((l) => l.split(',').slice(0, 4)),
    irisLabels: lines.map((l) => l.split(',')[4]!),
    cleanup: () => {
      store.close();
      t.cleanup();
    },
  };
}
