/** The API instance the stores talk to; set once at start-up (or by a test). */
import type { WorkbenchApi } from '../../../shared/api';

let current: WorkbenchApi | null = null;

export function setApi(api: WorkbenchApi): void {
  current = api;
}

export function useApi(): WorkbenchApi {
  if (!current) throw new Error('the workbench API is not connected yet');
  return current;
}
