import { digitsFor, formatRunCount, formatAgo, formatBytes, formatDateTime, formatDuration, formatExact, formatNumber } from '../../shared/display-format.ts';
import { STATUS_ICON, statusWord } from '../../shared/run-status.ts';
import { listArtifactDir } from '../../core/store/artifact-files.ts';
import type { RunStore } from '../../core/store/run-store.ts';
import type { Experiment, MetricSummary, Run, RunStatus } from '../../core/store/types.ts';
import { COMMANDS } from '../command-ids.ts';
import { SWEEP_TAG, TRIAL_TAG } from '../../core/sweeps/sweep-queue.ts';
import { summarizeSweep, type SweepSummary } from '../../core/sweeps/sweep-summary.ts';
import type { RunIdSearch } from './run-id-search.ts';

/**
 * What the Experiments view shows, as plain objects: the tree provider only turns these into
 * TreeItems. No `vscode` import, so this logic is tested in plain Node.
 */
export type RunSort = { by: 'startTime' | 'name' } | { by: 'metric'; key: string; descending: boolean };

export interface RunFilter {
  /** Run name contains (case-insensitive). */
  text?: string;
  statuses?: RunStatus[];
  tag?: { key: string; value: string };
  /** A raw MLflow search expression. */
  expression?: string;
}

export interface StoreRef {
  /** Identifies the workspace folder (its URI). */
  id: string;
  name: string;
  store: RunStore;
  /** Where searches with a filter run (the store's read worker); without it, on this thread. */
  search?: RunIdSearch;
}

export type Node =
  | { kind: 'folder'; ref: StoreRef }
  | { kind: 'experiment'; ref: StoreRef; experiment: Experiment; runCount: number }
  | { kind: 'run'; ref: StoreRef; run: Run; varyingParams?: readonly string[]; metricDigits?: ReadonlyMap<string, number>; best?: boolean }
  /** A sweep: its parent run, shown as one row whose children are its trials. */
  | { kind: 'sweep'; ref: StoreRef; run: Run; summary: SweepSummary }
  | { kind: 'more'; ref: StoreRef; experimentId: string; shown: number; total: number }
  | { kind: 'section'; ref: StoreRef; run: Run; section: 'params' | 'metrics' | 'tags' | 'artifacts' | 'code' }
  | { kind: 'artifactDir'; ref: StoreRef; runId: string; path: string }
  | { kind: 'leaf'; ref: StoreRef; id: string; label: string; description?: string; tooltip?: string; icon?: string; contextValue?: string; command?: { id: string; args: unknown[] }; runId?: string }
  | { kind: 'message'; label: string; icon?: string };

export interface NodeView {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  /** Theme colour for the icon, e.g. testing.iconPassed. */
  iconColor?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextValue?: string;
  command?: { id: string; title: string; args: unknown[] };
}


/** Metric names that usually matter most, used when no primary metric is configured. */
export const PREFERRED_METRICS = ['val_accuracy', 'accuracy', 'val_acc', 'acc', 'f1', 'val_loss', 'loss'];

export function primaryMetric(run: Run, configured: string): MetricSummary | undefined {
  if (configured) return run.metrics.find((m) => m.key === configured);
  for (const key of PREFERRED_METRICS) {
    const m = run.metrics.find((x) => x.key === key);
    if (m) return m;
  }
  return run.metrics[0];
}

function escapeLike(s: string): string {
  return s.replace(/'/g, "''");
}

export function filterExpression(f: RunFilter): string {
  const parts: string[] = [];
  if (f.text) parts.push(`attributes.run_name ILIKE '%${escapeLike(f.text)}%'`);
  if (f.statuses?.length) parts.push(`attributes.status IN (${f.statuses.map((s) => `'${s}'`).join(', ')})`);
  if (f.tag) parts.push(`tags.\`${f.tag.key.replace(/`/g, '')}\` = '${escapeLike(f.tag.value)}'`);
  if (f.expression?.trim()) parts.push(f.expression.trim());
  return parts.join(' and ');
}

export function describeFilter(f: RunFilter): string {
  const parts: string[] = [];
  if (f.text) parts.push(`name contains "${f.text}"`);
  if (f.statuses?.length) parts.push(`status ${f.statuses.join('/')}`);
  if (f.tag) parts.push(`tag ${f.tag.key}=${f.tag.value}`);
  if (f.expression?.trim()) parts.push(f.expression.trim());
  return parts.join(', ');
}

function orderBy(sort: RunSort): string[] {
  if (sort.by === 'name') return ['attributes.run_name ASC'];
  if (sort.by === 'metric') return [`metrics.\`${sort.key}\` ${sort.descending ? 'DESC' : 'ASC'}`];
  return ['attributes.start_time DESC'];
}

export interface ModelOptions {
  pageSize: number;
  primaryMetric: string;
  now?: () => number;
}

export class ExperimentsModel {
  sort: RunSort = { by: 'startTime' };
  filter: RunFilter = {};
  showDeleted = false;
  /** How many runs each experiment shows; grows with "Load more". */
  private readonly shown = new Map<string, number>();
  opts: ModelOptions;

  constructor(opts: ModelOptions) {
    this.opts = opts;
  }

  filterActive(): boolean {
    return filterExpression(this.filter) !== '' || this.showDeleted;
  }

  loadMore(ref: StoreRef, experimentId: string): void {
    const key = `${ref.id}#${experimentId}`;
    this.shown.set(key, (this.shown.get(key) ?? this.opts.pageSize) + this.opts.pageSize);
  }

  roots(refs: StoreRef[]): Node[] {
    if (refs.length === 1) return this.experiments(refs[0]!);
    return refs.map((ref) => ({ kind: 'folder', ref }));
  }

  children(node: Node): Node[] {
    switch (node.kind) {
      case 'folder':
        return this.experiments(node.ref);
      case 'experiment':
        return this.runs(node.ref, node.experiment.id);
      case 'sweep':
        return this.trials(node);
      case 'run':
        return (['params', 'metrics', 'tags', 'artifacts', 'code'] as const).map((section) => ({ kind: 'section', ref: node.ref, run: node.run, section }));
      case 'section':
        return this.section(node.ref, node.run, node.section);
      case 'artifactDir':
        return this.artifacts(node.ref, node.runId, node.path);
      case 'more':
      case 'leaf':
      case 'message':
        return [];
    }
  }

  private experiments(ref: StoreRef): Node[] {
    const view = this.showDeleted ? 'ALL' : 'ACTIVE_ONLY';
    return ref.store
      .listExperiments('ACTIVE_ONLY')
      .map((experiment) => ({ kind: 'experiment' as const, ref, experiment, runCount: ref.store.countRuns(experiment.id, view) }))
      .filter((e) => e.runCount > 0 || e.experiment.id !== '0');
  }

  private runs(ref: StoreRef, experimentId: string): Node[] {
    const limit = this.shown.get(`${ref.id}#${experimentId}`) ?? this.opts.pageSize;
    const filter = filterExpression(this.filter);
    const query = {
      experimentIds: [experimentId],
      // Sweep trials sit under their sweep's row; a filter shows matching runs flat.
      filter: filter || `tags.\`${TRIAL_TAG}\` IS NULL`,
      orderBy: orderBy(this.sort),
      maxResults: limit,
      viewType: this.showDeleted ? ('ALL' as const) : ('ACTIVE_ONLY' as const),
    };
    let page: { runs: Run[]; nextPageToken: string | null };
    if (filter && ref.search) {
      // A filter can scan every run of the experiment: the ids come from the read worker, and
      // only the page shown is read here.
      const ids = ref.search.ids(query);
      if (ids === undefined) return [{ kind: 'message', label: 'Searching…', icon: 'loading~spin' }];
      if (ids instanceof Error) return [{ kind: 'message', label: ids.message, icon: 'error' }];
      page = { runs: ref.store.getRuns(ids.slice(0, limit)), nextPageToken: ids.length > limit ? 'more' : null };
    } else {
      page = ref.store.searchRuns(query);
    }
    const varyingParams = varying(page.runs);
    const metricDigits = digitsPerMetric(page.runs);
    const nodes: Node[] = page.runs.map((run) => (SWEEP_TAG in run.tags ? sweepNode(ref, run) : { kind: 'run', ref, run, varyingParams, metricDigits }));
    if (page.nextPageToken) {
      const total = filter ? NaN : ref.store.countRuns(experimentId, this.showDeleted ? 'ALL' : 'ACTIVE_ONLY');
      nodes.push({ kind: 'more', ref, experimentId, shown: page.runs.length, total });
    }
    if (nodes.length === 0 && filter) nodes.push({ kind: 'message', label: `No runs match the filter (${describeFilter(this.filter)})`, icon: 'filter' });
    return nodes;
  }

  /** A sweep's trials in trial order (retries after the attempt they replace), the best one marked. */
  private trials(node: Extract<Node, { kind: 'sweep' }>): Node[] {
    const runs = node.summary.trials.map((t) => node.ref.store.getRun(t.runId));
    const varyingParams = varying(runs);
    const metricDigits = digitsPerMetric(runs);
    return runs.map((run) => ({ kind: 'run', ref: node.ref, run, varyingParams, metricDigits, best: run.info.id === node.summary.best?.runId }));
  }

  private section(ref: StoreRef, run: Run, section: 'params' | 'metrics' | 'tags' | 'artifacts' | 'code'): Node[] {
    const id = run.info.id;
    const leaf = (key: string, label: string, extra: Partial<Extract<Node, { kind: 'leaf' }>> = {}): Node => ({ kind: 'leaf', ref, id: `${id}/${section}/${key}`, label, runId: id, ...extra });
    switch (section) {
      case 'params':
        return Object.entries(run.params).map(([k, v]) => leaf(k, k, { description: v, tooltip: `${k} = ${v}`, icon: 'symbol-parameter' }));
      case 'metrics':
        return run.metrics.map((m) =>
          leaf(m.key, m.key, {
            // Compact so it fits a normal sidebar: last, then ↓min@step ↑max@step; the tooltip spells it out.
            description: `${formatNumber(m.last)}  ↓${formatNumber(m.min)}@${m.minStep ?? '-'}  ↑${formatNumber(m.max)}@${m.maxStep ?? '-'}`,
            tooltip: `${m.key}\nlast ${formatExact(m.last)} at step ${m.lastStep}\nmin ${formatExact(m.min)} at step ${m.minStep ?? '-'}\nmax ${formatExact(m.max)} at step ${m.maxStep ?? '-'}\n${m.count} points`,
            icon: 'graph-line',
          }),
        );
      case 'tags':
        return Object.entries(run.tags)
          .filter(([k]) => !k.startsWith('mlflow.') && !k.startsWith('loopline.'))
          .map(([k, v]) => leaf(k, k, { description: v, tooltip: `${k} = ${v}`, icon: 'tag' }));
      case 'artifacts':
        return this.artifacts(ref, id, '');
      case 'code': {
        const git = run.info.git;
        if (!git) return [leaf('none', 'No code recorded', { icon: 'info' })];
        if (!git.isRepo) return [leaf('none', 'Not a git repository', { icon: 'info', tooltip: 'The run started outside any git repository, so its code was not recorded.' })];
        const nodes = [
          leaf('commit', 'Commit', { description: git.commit ? git.commit.slice(0, 12) : '(no commits yet)', tooltip: git.commit ?? '', icon: 'git-commit' }),
          leaf('branch', 'Branch', { description: git.branch ?? '(detached)', icon: 'git-branch' }),
          leaf('dirty', 'Uncommitted changes', {
            description: git.dirty ? (git.patchTruncated ? 'yes (too large to keep)' : 'yes, recorded') : 'none',
            icon: git.dirty ? 'diff-modified' : 'check',
          }),
        ];
        if (git.commit) nodes.push(leaf('diff', 'Show Code Diff', { icon: 'diff', command: { id: COMMANDS.showCodeDiff, args: [id] }, tooltip: "Compare the run's code with the working tree" }));
        return nodes;
      }
    }
  }

  private artifacts(ref: StoreRef, runId: string, path: string): Node[] {
    const entries = listArtifactDir(ref.store.artifactsRoot, runId, path);
    if (entries.length === 0 && path === '') return [{ kind: 'leaf', ref, id: `${runId}/artifacts/none`, label: 'No artifacts', icon: 'info' }];
    return entries.map((e) =>
      e.isDir
        ? { kind: 'artifactDir', ref, runId, path: e.path }
        : {
            kind: 'leaf',
            ref,
            id: `${runId}/artifacts/${e.path}`,
            label: e.path.split('/').pop() ?? e.path,
            description: formatBytes(e.size ?? 0),
            icon: 'file',
            contextValue: 'artifact',
            runId,
            command: { id: COMMANDS.openArtifact, args: [runId, e.path] },
          },
    );
  }

  view(node: Node): NodeView {
    const now = this.opts.now?.() ?? Date.now();
    switch (node.kind) {
      case 'folder':
        return { id: `folder:${node.ref.id}`, label: node.ref.name, icon: 'root-folder', collapsible: 'expanded', contextValue: 'folder' };
      case 'experiment':
        return {
          id: `exp:${node.ref.id}#${node.experiment.id}`,
          label: node.experiment.name,
          description: formatRunCount(node.runCount),
          tooltip: `Experiment ${node.experiment.name} (id ${node.experiment.id})`,
          icon: 'beaker',
          collapsible: 'collapsed',
          contextValue: 'experiment',
        };
      case 'run': {
        const v = this.runView(node.ref, node.run, now, node.varyingParams ?? [], node.metricDigits);
        if (node.best) {
          v.description = `★ best · ${v.description ?? ''}`;
          v.tooltip = `★ Best trial of its sweep\n${v.tooltip ?? ''}`;
        }
        return v;
      }
      case 'sweep':
        return sweepView(node, now);
      case 'more':
        return {
          id: `more:${node.ref.id}#${node.experimentId}`,
          label: Number.isNaN(node.total) ? `Load more runs…` : `Load more runs… (${node.shown} of ${node.total} shown)`,
          icon: 'ellipsis',
          collapsible: 'none',
          command: { id: COMMANDS.loadMoreRuns, title: 'Load more runs', args: [node.ref.id, node.experimentId] },
        };
      case 'section': {
        const r = node.run;
        const count =
          node.section === 'params'
            ? Object.keys(r.params).length
            : node.section === 'metrics'
              ? r.metrics.length
              : node.section === 'tags'
                ? Object.keys(r.tags).filter((k) => !k.startsWith('mlflow.') && !k.startsWith('loopline.')).length
                : undefined;
        const labels = { params: 'Params', metrics: 'Metrics', tags: 'Tags', artifacts: 'Artifacts', code: 'Code' };
        const icons = { params: 'symbol-parameter', metrics: 'graph-line', tags: 'tag', artifacts: 'files', code: 'source-control' };
        return {
          id: `sec:${node.ref.id}#${r.info.id}/${node.section}`,
          label: labels[node.section],
          ...(count !== undefined ? { description: String(count) } : {}),
          icon: icons[node.section],
          collapsible: count === 0 ? 'none' : 'collapsed',
        };
      }
      case 'artifactDir':
        return { id: `dir:${node.ref.id}#${node.runId}/${node.path}`, label: node.path.split('/').pop() ?? node.path, icon: 'folder', collapsible: 'collapsed' };
      case 'leaf':
        return {
          id: `leaf:${node.ref.id}#${node.id}`,
          label: node.label,
          ...(node.description !== undefined ? { description: node.description } : {}),
          ...(node.tooltip !== undefined ? { tooltip: node.tooltip } : {}),
          ...(node.icon ? { icon: node.icon } : {}),
          collapsible: 'none',
          ...(node.contextValue ? { contextValue: node.contextValue } : {}),
          ...(node.command ? { command: { id: node.command.id, title: node.label, args: node.command.args } } : {}),
        };
      case 'message':
        return { id: `msg:${node.label}`, label: node.label, ...(node.icon ? { icon: node.icon } : {}), collapsible: 'none' };
    }
  }

  private runView(ref: StoreRef, run: Run, now: number, varyingParams: readonly string[], metricDigits?: ReadonlyMap<string, number>): NodeView {
    const i = run.info;
    const metric = primaryMetric(run, this.opts.primaryMetric);
    const end = i.endTime ?? (i.status === 'RUNNING' ? now : null);
    const duration = end === null ? '' : formatDuration(end - i.startTime);
    // Params that differ between runs say what a run is; constant ones add nothing.
    const keys = Object.keys(run.params);
    const ordered = [...keys.filter((k) => varyingParams.includes(k)), ...keys.filter((k) => !varyingParams.includes(k))];
    const keyParams = ordered
      .slice(0, varyingParams.length ? Math.min(3, varyingParams.length) : 2)
      .map((k) => `${k}=${run.params[k]}`)
      .join(' ');
    const when = i.status === 'RUNNING' ? `running ${duration}` : [duration, formatAgo(i.startTime, now)].filter(Boolean).join(' · ');
    const description = [metric ? `${metric.key} ${formatNumber(metric.last, metricDigits?.get(metric.key))}` : '', keyParams, when].filter(Boolean).join(' · ');
    const gitPart = i.git?.isRepo && i.git.commit ? '.git' : '';
    const tooltip = [
      `${i.name} — ${statusWord(i.status)}${i.exitCode !== null ? ` (exit ${i.exitCode})` : ''}`,
      `Run ${i.id}`,
      `Started ${formatDateTime(i.startTime)}${duration ? `, took ${duration}` : ''}`,
      i.command ? `Command: ${i.command}` : '',
      ...run.metrics.slice(0, 8).map((m) => `${m.key}: ${formatExact(m.last)}`),
    ]
      .filter(Boolean)
      .join('\n');
    const icon = STATUS_ICON[i.status];
    return {
      id: `run:${ref.id}#${i.id}`,
      label: i.name,
      description,
      tooltip,
      icon: i.lifecycleStage === 'deleted' ? 'trash' : icon.icon,
      ...(icon.color && i.lifecycleStage !== 'deleted' ? { iconColor: icon.color } : {}),
      collapsible: 'collapsed',
      contextValue: `run.${i.status}${gitPart}.${i.lifecycleStage}${run.tags['loopline.evaluates'] ? '.evaluation' : ''}`,
    };
  }
}

/** Significant digits per metric key, from the range of its last values across the shown runs. */
function digitsPerMetric(runs: Run[]): Map<string, number> {
  const values = new Map<string, number[]>();
  for (const r of runs) for (const m of r.metrics) (values.get(m.key) ?? values.set(m.key, []).get(m.key)!).push(m.last);
  return new Map([...values].map(([k, vals]) => [k, digitsFor(vals)]));
}

/** Param keys whose values differ between the given runs. */
function varying(runs: Run[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const r of runs) for (const [k, v] of Object.entries(r.params)) (seen.get(k) ?? seen.set(k, new Set()).get(k)!).add(v);
  return [...seen].filter(([k, vals]) => vals.size > 1 || runs.some((r) => !(k in r.params))).map(([k]) => k);
}


export function sweepNode(ref: StoreRef, run: Run): Node {
  return { kind: 'sweep', ref, run, summary: summarizeSweep(ref.store, run.info.id) };
}

/** One row per sweep: trial count, progress and the best trial so far. */
function sweepView(node: Extract<Node, { kind: 'sweep' }>, now: number): NodeView {
  const { summary: s, run } = node;
  const progress = s.running || s.queued ? `${s.ended}/${s.total} done${s.running ? ` · ${s.running} running` : ''}${s.queued ? ` · ${s.queued} queued` : ''}` : statusWord(run.info.status);
  const best = s.best && s.objective ? `best ${s.objective.metric} ${formatNumber(s.best.value)} (${s.best.name})` : '';
  const when = formatAgo(run.info.startTime, now);
  const icon = STATUS_ICON[run.info.status];
  return {
    id: `sweep:${node.ref.id}#${run.info.id}`,
    label: run.info.name,
    description: [`sweep of ${s.total} trial${s.total === 1 ? '' : 's'}`, progress, best, when].filter(Boolean).join(' · '),
    tooltip: [
      `Sweep ${run.info.name} — ${statusWord(run.info.status)}`,
      `Run ${run.info.id}`,
      run.info.command ? `Command: ${run.info.command}` : '',
      `${s.total} trials, ${s.parallel} at a time: ${s.ended} ended, ${s.running} running, ${s.queued} queued`,
      s.best && s.objective ? `Best: ${s.best.name} with ${s.objective.metric} ${formatExact(s.best.value)} (${Object.entries(s.best.params).map(([k, v]) => `${k}=${v}`).join(' ')})` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    icon: s.running || s.queued ? icon.icon : 'type-hierarchy',
    ...(icon.color && (s.running || s.queued) ? { iconColor: icon.color } : {}),
    collapsible: 'collapsed',
    contextValue: `sweep.${s.running || s.queued ? 'active' : 'ended'}`,
  };
}
