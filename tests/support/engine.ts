/**
 * The engine behind both hosts, as tests drive it: a Backend with a capture opened and indexed.
 */
import { Backend } from '../../electron/engine/backend';
import type { ApiEvent, SessionInfo } from '../../shared/api';

/** Opens `file` in `backend` (a fresh browser-host Backend by default) and resolves once it is indexed. */
export async function openIndexed(file: string, backend = new Backend({ host: 'browser', version: 'test' })): Promise<{ backend: Backend; session: SessionInfo }> {
  const finished = new Set<string>();
  let wake: () => void = () => undefined;
  const unsubscribe = backend.subscribe((event: ApiEvent) => {
    if (event.type === 'progress' && event.done) {
      finished.add(event.sessionId);
      wake();
    }
  });
  const session = await backend.openFile(file);
  while (!finished.has(session.sessionId)) await new Promise<void>((resolve) => (wake = resolve));
  unsubscribe();
  return { backend, session };
}
