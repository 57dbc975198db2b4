import type { ReadContext, SourceRun } from './import-types.ts';
export function* readWandbRuns(_path: string, _ctx: ReadContext, _experiment?: string): Generator<SourceRun> {}
export const wandbRoot = (p: string): string => p;
