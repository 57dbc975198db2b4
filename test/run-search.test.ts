import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempStore } from './helpers/temp-store.ts';
import type { RunStatus, SearchRunsQuery } from '../src/core/store/types.ts';

/**
 * One seeded store for the whole file (searches do not change it):
 *
 *   name         status    start  acc   loss  lr       model  tags
 *   sweep-a      FINISHED  1000   0.9   0.1   '0.01'   CNN    team=vision, `my key`='x y'
 *   sweep-b      FAILED    2000   0.7   -     '0.1'    cnn    team=nlp
 *   baseline     RUNNING   3000   0.8   -     '0.001'  RNN    -
 *   Sweep-C      FINISHED  4000   -     -     '0.01'   MLP    `my key`=other
 *   nan-run      KILLED    5000   NaN   -     '1'      -      -
 *   deleted-run  FINISHED  6000   0.95  -     '0.5'    -      (soft-deleted)
 * plus one run in another experiment that matches almost everything.
 */
let t: ReturnType<typeof tempStore>;
let exp = '';
let other = '';

before(() => {
  t = tempStore();
  const s = t.store;
  exp = s.createExperiment('search').id;
  other = s.createExperiment('other').id;
  const add = (name: string, status: RunStatus, start: number, metrics: Record<string, number>, params: Record<string, string>, tags: Record<string, string> = {}, experimentId = exp) => {
    const id = s.createRun({ experimentId, name, startTime: start }).info.id;
    s.logBatch(id, {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: start })),
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    s.updateRun(id, { status, ...(status === 'RUNNING' ? {} : { endTime: start + 500 }) });
    return id;
  };
  add('sweep-a', 'FINISHED', 1000, { acc: 0.9, loss: 0.1 }, { lr: '0.01', model: 'CNN' }, { team: 'vision', 'my key': 'x y' });
  add('sweep-b', 'FAILED', 2000, { acc: 0.7 }, { lr: '0.1', model: 'cnn' }, { team: 'nlp' });
  add('baseline', 'RUNNING', 3000, { acc: 0.8 }, { lr: '0.001', model: 'RNN' });
  add('Sweep-C', 'FINISHED', 4000, {}, { lr: '0.01', model: 'MLP' }, { 'my key': 'other' });
  add('nan-run', 'KILLED', 5000, { acc: NaN }, { lr: '1' });
  const del = add('deleted-run', 'FINISHED', 6000, { acc: 0.95 }, { lr: '0.5' });
  s.setRunLifecycle(del, 'deleted');
  add('elsewhere', 'FINISHED', 7000, { acc: 0.99 }, { lr: '0.01', model: 'CNN' }, { team: 'vision' }, other);
});

after(() => t.cleanup());

function search(filter: string, q: Partial<SearchRunsQuery> = {}) {
  return t.store.searchRuns({ experimentIds: [exp], filter, ...q });
}
/** Names in result order. */
const ordered = (filter: string, q: Partial<SearchRunsQuery> = {}) => search(filter, q).runs.map((r) => r.info.name);
/** Names as a sorted set, for filters where order is not the point. */
const names = (filter: string, q: Partial<SearchRunsQuery> = {}) => ordered(filter, q).sort();

test('no filter returns active runs of the experiment, newest first', () => {
  assert.deepEqual(ordered(''), ['nan-run', 'Sweep-C', 'baseline', 'sweep-b', 'sweep-a']);
});

test('metric comparisons use the latest value; runs without the metric or with NaN never match', () => {
  assert.deepEqual(names('metrics.acc > 0.75'), ['baseline', 'sweep-a']);
  assert.deepEqual(names('metrics.acc >= 0.8'), ['baseline', 'sweep-a']);
  assert.deepEqual(names('metrics.acc < 0.8'), ['sweep-b']);
  assert.deepEqual(names('metrics.acc <= 0.8'), ['baseline', 'sweep-b']);
  assert.deepEqual(names('metrics.acc = 0.7'), ['sweep-b']);
  assert.deepEqual(names('metrics.acc == 0.7'), ['sweep-b']);
  assert.deepEqual(names("metrics.acc != 0.7 and params.lr != '1'"), ['baseline', 'sweep-a']);
  assert.deepEqual(names('metrics.loss < 1'), ['sweep-a']);
  assert.deepEqual(names('metrics.acc > -1e3'), ['baseline', 'sweep-a', 'sweep-b']);
  assert.deepEqual(names('metrics.nothing > 0'), []);
});

test('param comparisons: =, !=, case-sensitive LIKE, ILIKE, IN, NOT IN', () => {
  assert.deepEqual(names("params.lr = '0.01'"), ['Sweep-C', 'sweep-a']);
  assert.deepEqual(names("params.lr != '0.01'"), ['baseline', 'nan-run', 'sweep-b']);
  assert.deepEqual(names("params.model LIKE 'c%'"), ['sweep-b']);
  assert.deepEqual(names("params.model LIKE 'C%'"), ['sweep-a']);
  assert.deepEqual(names("params.model LIKE '_NN'"), ['baseline', 'sweep-a']);
  assert.deepEqual(names("params.model ILIKE 'c%'"), ['sweep-a', 'sweep-b']);
  assert.deepEqual(names("params.model like 'CNN'"), ['sweep-a'], 'keywords are case-insensitive');
  assert.deepEqual(names("params.model IN ('CNN', 'RNN')"), ['baseline', 'sweep-a']);
  assert.deepEqual(names("params.model NOT IN ('CNN', 'RNN')"), ['Sweep-C', 'sweep-b'], 'runs without the param do not match');
  assert.deepEqual(names("param.lr = '0.001'"), ['baseline'], 'singular prefix');
  assert.deepEqual(names("params.lr LIKE '0.0%'"), ['Sweep-C', 'baseline', 'sweep-a'], '. in a pattern is literal');
  assert.deepEqual(names("params.lr LIKE '0_1'"), ['sweep-b'], '_ matches exactly one character');
  assert.deepEqual(names("params.lr LIKE '0_01'"), ['Sweep-C', 'sweep-a']);
  assert.deepEqual(names("params.lr = '0\\'1'"), [], 'a backslash escapes a quote');
  assert.deepEqual(names("params.model = 'cnn'"), ['sweep-b'], '= is case-sensitive');
});

test('tags: quoted keys with backticks and double quotes, dotted keys unquoted', () => {
  assert.deepEqual(names(`tags."mlflow.runName" = 'baseline'`), ['baseline']);
  assert.deepEqual(names("tags.mlflow.runName = 'baseline'"), ['baseline']);
  assert.deepEqual(names("tags.`mlflow.runName` LIKE 'sweep%'"), ['sweep-a', 'sweep-b']);
  assert.deepEqual(names("tags.`my key` = 'x y'"), ['sweep-a']);
  assert.deepEqual(names(`tags."my key" LIKE '%'`), ['Sweep-C', 'sweep-a']);
  assert.deepEqual(names("tags.team != 'nlp'"), ['sweep-a']);
  assert.deepEqual(names("tags.team IS NULL"), ['Sweep-C', 'baseline', 'nan-run']);
});

test('attributes: status IN, run_name LIKE / ILIKE, start_time comparisons, bare attribute names', () => {
  assert.deepEqual(names("attributes.status IN ('FINISHED', 'FAILED')"), ['Sweep-C', 'sweep-a', 'sweep-b']);
  assert.deepEqual(names("attributes.status = 'RUNNING'"), ['baseline']);
  assert.deepEqual(names("status != 'FINISHED'"), ['baseline', 'nan-run', 'sweep-b']);
  assert.deepEqual(names("attributes.run_name LIKE 'sweep-%'"), ['sweep-a', 'sweep-b']);
  assert.deepEqual(names("attributes.run_name ILIKE 'sweep-%'"), ['Sweep-C', 'sweep-a', 'sweep-b']);
  assert.deepEqual(names('attributes.start_time > 2500'), ['Sweep-C', 'baseline', 'nan-run']);
  assert.deepEqual(names('attributes.start_time <= 2000'), ['sweep-a', 'sweep-b']);
  assert.deepEqual(names('attributes.created >= 5000'), ['nan-run']);
  assert.deepEqual(names('attributes.end_time < 2000'), ['sweep-a'], 'a running run has no end time');
  const id = search("attributes.run_name = 'baseline'").runs[0]!.info.id;
  assert.deepEqual(names(`attributes.run_id = '${id}'`), ['baseline']);
});

test('clauses combine with AND (any case) across entity kinds', () => {
  assert.deepEqual(names("metrics.acc > 0.75 AND params.model = 'CNN' and attributes.status = 'FINISHED'"), ['sweep-a']);
  assert.deepEqual(names("params.lr = '0.01' AND tags.`my key` = 'other'"), ['Sweep-C']);
  assert.deepEqual(names("metrics.acc > 0.75 AND params.model = 'MLP'"), []);
});

test('order_by: metrics DESC and ASC put runs without a value last; params ASC; ties by newest', () => {
  const desc = ordered('', { orderBy: ['metrics.acc DESC'] });
  assert.deepEqual(desc.slice(0, 3), ['sweep-a', 'baseline', 'sweep-b']);
  assert.deepEqual(desc.slice(3).sort(), ['Sweep-C', 'nan-run'], 'missing and NaN come last');
  const asc = ordered('', { orderBy: ['metrics.acc ASC'] });
  assert.deepEqual(asc.slice(0, 3), ['sweep-b', 'baseline', 'sweep-a']);
  assert.deepEqual(asc.slice(3).sort(), ['Sweep-C', 'nan-run']);
  assert.deepEqual(ordered('', { orderBy: ['params.lr ASC'] }), ['baseline', 'Sweep-C', 'sweep-a', 'sweep-b', 'nan-run']);
  // Binary string order: 'cnn' > 'RNN' > 'MLP' > 'CNN'; nan-run has no model.
  assert.deepEqual(ordered('', { orderBy: ['params.model DESC'] }), ['sweep-b', 'baseline', 'Sweep-C', 'sweep-a', 'nan-run']);
  assert.deepEqual(ordered('', { orderBy: ['attributes.start_time ASC'] }), ['sweep-a', 'sweep-b', 'baseline', 'Sweep-C', 'nan-run']);
  assert.deepEqual(ordered('', { orderBy: ['tags.`mlflow.runName`'] }), ['Sweep-C', 'baseline', 'nan-run', 'sweep-a', 'sweep-b']);
  assert.deepEqual(ordered('metrics.acc > 0', { orderBy: ['attributes.status ASC', 'metrics.acc ASC'] }), ['sweep-b', 'sweep-a', 'baseline']);
});

test('paging with max_results and page_token returns every run exactly once', () => {
  const local = tempStore();
  try {
    const s = local.store;
    const e = s.createExperiment('many').id;
    const want = new Set<string>();
    for (let i = 0; i < 23; i++) {
      // Several runs share a start time, so the tie-break must keep pages stable.
      const id = s.createRun({ experimentId: e, startTime: 1000 + Math.floor(i / 4) }).info.id;
      s.logBatch(id, { metrics: i % 3 ? [{ key: 'm', value: i % 5, step: 0, timestamp: 1 }] : [] });
      want.add(id);
    }
    for (const [pageSize, orderBy] of [[5, []], [1, []], [4, ['metrics.m DESC']], [23, []], [100, ['params.none']]] as Array<[number, string[]]>) {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = s.searchRuns({ experimentIds: [e], maxResults: pageSize, orderBy, ...(token ? { pageToken: token } : {}) });
        assert.ok(page.runs.length <= pageSize);
        seen.push(...page.runs.map((r) => r.info.id));
        token = page.nextPageToken ?? undefined;
        pages++;
      } while (token && pages < 50);
      assert.equal(seen.length, 23, `page size ${pageSize} ${orderBy.join()}: no duplicates or gaps`);
      assert.deepEqual(new Set(seen), want);
      assert.equal(pages, Math.max(1, Math.ceil(23 / pageSize)));
    }
    assert.throws(() => s.searchRuns({ experimentIds: [e], pageToken: 'garbage!' }), { code: 'INVALID_PARAMETER_VALUE', message: /Invalid page_token/ });
    assert.throws(() => s.searchRuns({ experimentIds: [e], maxResults: 0 }), { code: 'INVALID_PARAMETER_VALUE', message: /max_results must be between 1 and/ });
    assert.throws(() => s.searchRuns({ experimentIds: [] }), { code: 'INVALID_PARAMETER_VALUE', message: /at least one experiment id/ });
  } finally {
    local.cleanup();
  }
});

test('view types: deleted runs only with DELETED_ONLY or ALL; experiments are searched together', () => {
  assert.deepEqual(names('', { viewType: 'DELETED_ONLY' }), ['deleted-run']);
  assert.equal(names('', { viewType: 'ALL' }).length, 6);
  assert.deepEqual(names('metrics.acc > 0.92', { viewType: 'ALL' }), ['deleted-run']);
  assert.deepEqual(names('metrics.acc > 0.92'), []);
  assert.deepEqual(names("params.model = 'CNN'", { experimentIds: [exp, other] }), ['elsewhere', 'sweep-a']);
  assert.deepEqual(names("params.model = 'CNN'", { experimentIds: [other] }), ['elsewhere']);
});

test('syntax errors give INVALID_PARAMETER_VALUE naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['metrics.acc >', /expected a value/],
    ["metrics.acc > 'x'", /metrics\.acc must be compared with a number/],
    ["params.lr > '1'", /params\.lr > needs an unquoted number/],
    ["params.lr IN (0.01)", /params\.lr must be compared with a quoted string.*unquoted number/],
    ["tags.team > 1", /tags are strings.*not >/],
    ['foo.bar = 1', /unknown entity 'foo'/],
    ['a = 1 or b = 2', /unknown entity 'a'/],
    ['metrics.a = 1 or metrics.b = 2', /OR is not supported/],
    ["params.lr = 'abc", /unterminated quoted string/],
    ['tags.`abc = 1', /unterminated quoted string starting with `/],
    ["metrics.acc LIKE '1'", /metrics support =, !=, <, <=, >, >= only/],
    ["attributes.colour = 'red'", /unknown attribute 'colour'/],
    ["attributes.start_time = 'yesterday'", /start_time must be compared with a number/],
    ["params.lr IN ('a' 'b')", /expected ',' or '\)'/],
    ["params.lr = 'a' params.x = 'b'", /expected AND between clauses/],
    ["params.lr = 'a' AND", /expected a name/],
    ['metrics.acc ! 1', /'!' must be followed by '='/],
    ['metrics.acc ~ 1', /unexpected character '~'/],
    ["params.lr BETWEEN 'a'", /expected a comparison/],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => search(filter), { name: 'LooplineError', code: 'INVALID_PARAMETER_VALUE', message }, filter);
  }
  assert.throws(() => search('', { orderBy: ['metrics.acc SIDEWAYS'] }), { code: 'INVALID_PARAMETER_VALUE', message: /ASC or DESC/ });
  assert.throws(() => search('', { orderBy: ['attributes.colour'] }), { code: 'INVALID_PARAMETER_VALUE', message: /unknown attribute/ });
});

test("a doubled single quote inside a value is an escaped quote (as run-filter.ts's tokenizer comment promises)", () => {
  const s = t.store;
  const id = s.createRun({ experimentId: exp, name: 'quote-run', startTime: 10 }).info.id;
  try {
    s.logBatch(id, { params: [{ key: 'note', value: "it's" }] });
    assert.deepEqual(names("params.note = 'it''s'"), ['quote-run']);
  } finally {
    s.setRunLifecycle(id, 'deleted');
  }
});

test('params compare as numbers with an unquoted number (an extension of MLflow) when every value is numeric', () => {
  // lr values: '0.01', '0.1', '0.001', '0.01', '1' (and '0.5' deleted). As strings '0.1' < '0.5' but so is '1' > '0.5':
  // numeric comparison must not be string order.
  assert.deepEqual(names('params.lr < 0.05'), ['Sweep-C', 'baseline', 'sweep-a']);
  assert.deepEqual(names('params.lr >= 0.1'), ['nan-run', 'sweep-b']);
  assert.deepEqual(names('params.lr > 0.5'), ['nan-run']);
  assert.deepEqual(names('params.lr = 1e-2'), ['Sweep-C', 'sweep-a']);
  assert.deepEqual(names('params.lr != 0.01 and metrics.acc > 0.75'), ['baseline']);
  assert.deepEqual(names('params.lr <= 0.5', { viewType: 'ALL' }), ['Sweep-C', 'baseline', 'deleted-run', 'sweep-a', 'sweep-b']);
  // Quoted values keep MLflow's string semantics.
  assert.deepEqual(names("params.lr = '1e-2'"), []);
  // The same filter in a search of ids (the experiment table's path) and ordered output.
  const ids = t.store.searchRunIds({ experimentIds: [exp], filter: 'params.lr < 0.05', orderBy: ['params.lr ASC'] });
  assert.equal(ids.length, 3);
});

test('a numeric param comparison is refused with a clear error when some value of that param is not a number', () => {
  // model values are 'CNN', 'cnn', 'RNN', 'MLP': comparing them as numbers would silently drop every run.
  assert.throws(() => search('params.model > 1'), { code: 'INVALID_PARAMETER_VALUE', message: /params\.model is compared as a number, but some runs have a value that is not a number \('(CNN|cnn|RNN|MLP)'\); compare it as a string instead/ });
  const s = t.store;
  const id = s.createRun({ experimentId: exp, name: 'auto-lr', startTime: 20 }).info.id;
  try {
    s.logBatch(id, { params: [{ key: 'lr', value: 'auto' }] });
    assert.throws(() => search('params.lr < 0.5'), { code: 'INVALID_PARAMETER_VALUE', message: /params\.lr .*'auto'.*params\.lr = 'auto'/ });
    // Only the searched experiments count: the other experiment has no 'auto'.
    assert.deepEqual(names('params.lr < 0.5', { experimentIds: [other] }), ['elsewhere']);
  } finally {
    s.setRunLifecycle(id, 'deleted');
    s.db.prepare('DELETE FROM params WHERE run = (SELECT pk FROM runs WHERE uuid = ?)').run(id);
  }
});
