// One logging client for bench/event-loop-delay.ts: `node bench/log-client.ts URL TOKEN RUN_ID MS`
// sends runs/log-batch requests of 1000 points back to back over keep-alive HTTP for MS
// milliseconds, then prints how many points the server accepted.
import { Agent } from 'node:http';
import { postJson } from '../test/helpers/http-post.ts';

const [url, token, runId, ms] = process.argv.slice(2) as [string, string, string, string];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const deadline = Date.now() + Number(ms);
let step = 0;
let points = 0;
while (Date.now() < deadline) {
  const metrics = [];
  for (let i = 0; i < 1000; i++, step++) metrics.push({ key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step });
  const r = await postJson(agent, `${url}/api/2.0/mlflow/runs/log-batch`, token, JSON.stringify({ run_id: runId, metrics }));
  if (r.status !== 200) throw new Error(`log-batch: ${r.status} ${r.text.slice(0, 200)}`);
  points += 1000;
}
agent.destroy();
console.log(points);
