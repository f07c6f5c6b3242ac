import { useCheapQueryConfigs } from './query-config';
import { useShapedRows } from './row-shape';

export { useCheapQueryConfigs, useShapedRows };

/** Where pg spends the most of a query's CPU, done cheaper (each module says how and why); once a process. */
export function usePgFastPaths(): void {
  useShapedRows();
  useCheapQueryConfigs();
}
