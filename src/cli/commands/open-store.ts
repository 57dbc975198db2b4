import { RunStore } from '../../core/store/run-store.ts';
import { resolveStorePath } from '../../core/store/store-location.ts';
import { option, type ParsedArgs } from '../args.ts';

export function openStore(args: ParsedArgs): RunStore {
  return RunStore.open(resolveStorePath({ explicit: option(args, 'store') }));
}
