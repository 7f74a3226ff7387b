import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect } from './api/connect';
import { setApi } from './api/instance';
import { useCaptureStore } from './stores/capture';
import { usePacketsStore } from './stores/packets';
import { useSaveStore } from './stores/save';
import { useSequenceStore } from './stores/sequence';
import { useEndpointStore } from './stores/endpoint';
import { useFollowStore } from './stores/follow';
import { useRecordStore } from './stores/record';
import { useSessionStore } from './stores/session';
import { useSystemStore } from './stores/system';
import { useUiStore, type View } from './stores/ui';
import type { MenuCommand } from '../../shared/api';
import './styles/base.css';

/** Application-menu commands (Electron) arrive as events; each maps to a store action. */
function handleMenu(command: MenuCommand, path: string | null): void {
  const ui = useUiStore();
  const session = useSessionStore();
  const views: Partial<Record<MenuCommand, View>> = {
    'view-packets': 'packets',
    'view-connections': 'connections',
    'view-ladder': 'ladder',
    'view-editor': 'editor',
    'view-graphs': 'graphs',
    'view-flow': 'flow',
    'capture-interfaces': 'packets',
    'capture-start': 'packets',
    'capture-stop': 'packets',
    'capture-filter': 'packets',
    'export-crafted': 'editor',
  };
  const view = views[command];
  if (view) ui.view = view;
  if (command === 'open') void session.openWithDialog();
  else if (command === 'open-recent' && path) void session.openFile(path);
  else if (command === 'save') useSaveStore().save();
  else if (command === 'save-as') useSaveStore().show('save');
  else if (command === 'export-specified') useSaveStore().show('export');
  else if (command === 'toggle-theme') ui.toggleTheme();
  else if (command === 'capture-start') void useCaptureStore().start();
  else if (command === 'capture-stop') void useCaptureStore().stop();
  else if (command === 'capture-interfaces') void useCaptureStore().loadInterfaces();
  else if (command === 'capture-filter') document.querySelector<HTMLInputElement>('[data-testid=bpf]')?.focus();
  else if (command === 'about') useSystemStore().openAbout();
  else if (command.startsWith('follow-')) void useFollowStore().followSelected(({ 'follow-tcp': 'tcp', 'follow-tls': 'tls', 'follow-http2': 'http2', 'follow-udp': 'udp', 'follow-quic': 'quic', 'follow-http3': 'http3' } as const)[command as 'follow-tcp']);
  else if (command === 'record-page-load') useRecordStore().show();
  else if (command === 'check-permission') void useSystemStore().checkPermission(true);
  else if (command === 'help') ui.say('Alt+1…4 switch views, Ctrl+/ focuses the display filter, arrow keys move through lists and the ladder');
  ui.menu = command;
}

async function start(): Promise<void> {
  const app = createApp(App);
  app.use(createPinia());
  const ui = useUiStore();
  try {
    const connection = await connect();
    setApi(connection.api);
    const session = useSessionStore();
    const packets = usePacketsStore();
    const capture = useCaptureStore();
    connection.api.onEvent((event) => {
      session.handleEvent(event);
      if ((event.type === 'progress' || event.type === 'rows') && event.sessionId === session.sessionId) packets.scheduleRefresh();
      if (event.type === 'crashed') ui.crash = { process: event.process, message: event.message };
      if (event.type === 'menu') handleMenu(event.command, event.path);
      capture.handleEvent(event);
      useSequenceStore().handleEvent(event);
      useEndpointStore().handleEvent(event);
      useRecordStore().handleEvent(event);
    });
    connection.onDisconnect((reason) => (ui.disconnected = reason));
    await session.hello();
  } catch (error) {
    ui.disconnected = error instanceof Error ? error.message : String(error);
  }
  app.mount('#app');
}

void start();
