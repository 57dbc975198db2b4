import type { RunStore } from '../../core/store/run-store.ts';

/**
 * Which experiment a picker offers first. No `vscode` import: tested in plain Node.
 * The one selected in the tree wins; else the one with the most recent run; experiments with
 * runs come before empty ones, and an empty "Default" (which the tree hides) comes last.
 */
export interface ExperimentChoice {
  id: string;
  name: string;
  runCount: number;
  /** Start time of its newest run; null when it has none. */
  lastRunTime: number | null;
}

export function experimentChoices(store: RunStore): ExperimentChoice[] {
  return store.listExperiments().map((e) => {
    const newest = store.searchRuns({ experimentIds: [e.id], maxResults: 1 }).runs[0];
    return { id: e.id, name: e.name, runCount: newest ? store.countRuns(e.id) : 0, lastRunTime: newest?.info.startTime ?? null };
  });
}

export function orderExperimentChoices(choices: ExperimentChoice[], selectedId?: string): ExperimentChoice[] {
  const rank = (c: ExperimentChoice) => (c.id === selectedId ? 0 : c.runCount > 0 ? 1 : c.id === '0' ? 3 : 2);
  return [...choices].sort((a, b) => rank(a) - rank(b) || (b.lastRunTime ?? 0) - (a.lastRunTime ?? 0) || a.name.localeCompare(b.name));
}
