import type { ReadContext, SourceRun } from './import-types.ts';
export function* readTensorBoardLogdir(_path: string, _ctx: ReadContext, _experiment?: string): Generator<SourceRun> {}
