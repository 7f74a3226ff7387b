import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect } from './api/connect';
import { setApi } from './api/instance';
import { usePacketsStore } from './stores/packets';
import { useSessionStore } from './stores/session';
import { useUiStore } from './stores/ui';
import './styles/base.css';

async function start(): Promise<void> {
  const app = createApp(App);
  app.use(createPinia());
  const ui = useUiStore();
  try {
    const connection = await connect();
    setApi(connection.api);
    const session = useSessionStore();
    const packets = usePacketsStore();
    connection.api.onEvent((event) => {
      session.handleEvent(event);
      if ((event.type === 'progress' || event.type === 'rows') && event.sessionId === session.sessionId) packets.scheduleRefresh();
      if (event.type === 'crashed') ui.crash = { process: event.process, message: event.message };
    });
    connection.onDisconnect((reason) => (ui.disconnected = reason));
    await session.hello();
  } catch (error) {
    ui.disconnected = error instanceof Error ? error.message : String(error);
  }
  app.mount('#app');
}

void start();
