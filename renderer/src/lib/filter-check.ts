/** The display-filter check the filter box runs as you type: the engine's parser, the same field names. */
import { compileFilter, FILTER_OPTIONS, type FilterError } from '../../../shared/filter';

export type FilterCheck = { state: 'empty' } | { state: 'ok' } | { state: 'error'; error: FilterError };

export function checkFilter(text: string): FilterCheck {
  if (text.trim() === '') return { state: 'empty' };
  const result = compileFilter(text, FILTER_OPTIONS);
  return result.ok ? { state: 'ok' } : { state: 'error', error: result.error };
}
