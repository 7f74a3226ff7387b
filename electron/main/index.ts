/**
 * The thin Electron main process: one window, the application menu, native dialogs and
 * recent files. All capture work happens in the engine utilityProcess; this process
 * checks every IPC call (sender and arguments) and relays it.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, utilityProcess, type IpcMainInvokeEvent, type MenuItemConstructorOptions, type UtilityProcess } from 'electron';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import enginePath from '../engine/main?modulePath';
import {
  eventValidator,
  isMethod,
  methodValidators,
  parseMessage,
  RpcPeer,
  toErrorBody,
  type ApiEvent,
  type HostInfo,
  type MenuCommand,
} from '../../shared/api';
import { PathGrants } from './path-grants';
import { launchFileFromArgv, LaunchFiles } from './launch-file';

const RENDERER_INDEX = path.join(__dirname, '../renderer/index.html');
const PRELOAD = path.join(__dirname, '../preload/index.cjs');
const MAX_RECENT = 10;

let mainWindow: BrowserWindow | null = null;
let engine: UtilityProcess | null = null;
let enginePeer: RpcPeer | null = null;
let stoppingEngine = false;

// ------------------------------------------------------------ recent files

const recentPath = () => path.join(app.getPath('userData'), 'recent-files.json');

function readRecent(): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(recentPath(), 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string' && existsSync(p)).slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/** Paths this process itself handed out (dialogs, recent list, command line): the only ones the engine gets. */
const grants = new PathGrants(readRecent);

function rememberFile(filePath: string): void {
  const list = [filePath, ...readRecent().filter((p) => p !== filePath)].slice(0, MAX_RECENT);
  try {
    writeFileSync(recentPath(), JSON.stringify(list));
  } catch {
    // recent files are a convenience; failing to store them is not worth an error
  }
  app.addRecentDocument(filePath);
  buildMenu();
}

// ------------------------------------------------------------ engine

function sendEvent(event: ApiEvent): void {
  mainWindow?.webContents.send('handshake:event', event);
}

function startEngine(): void {
  stoppingEngine = false;
  const child = utilityProcess.fork(enginePath, [], { serviceName: 'Handshake engine', stdio: 'inherit' });
  const peer = new RpcPeer((message) => child.postMessage(message));
  child.on('message', (raw: unknown) => {
    let message;
    try {
      message = parseMessage(raw);
    } catch {
      return;
    }
    if (message.kind === 'event') {
      sendEvent(message.event);
    } else {
      peer.receive(message);
    }
  });
  child.on('exit', (code) => {
    peer.failAll('the engine stopped');
    if (engine === child) {
      engine = null;
      enginePeer = null;
    }
    if (!stoppingEngine) sendEvent({ type: 'crashed', process: 'engine', message: `the engine exited (code ${code}); your files are safe on disk` });
  });
  engine = child;
  enginePeer = peer;
}

function restartEngine(): void {
  if (engine) {
    stoppingEngine = true;
    engine.kill();
  }
  startEngine();
}

// ------------------------------------------------------------ IPC

function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frameUrl = event.senderFrame?.url ?? '';
  return mainWindow !== null && event.sender === mainWindow.webContents && frameUrl.startsWith(pathToFileURL(RENDERER_INDEX).href);
}

/** Requests the main process answers itself (they need dialogs or app state). */
async function handleLocally(method: string, params: unknown): Promise<{ handled: true; result: unknown } | { handled: false }> {
  switch (method) {
    case 'chooseOpenPath': {
      const { title, kind } = methodValidators.chooseOpenPath.params(params);
      if (!mainWindow) return { handled: true, result: { path: null } };
      const choice = await dialog.showOpenDialog(mainWindow, {
        title,
        properties: ['openFile'],
        filters: [
          kind === 'script' ? { name: 'Conversation scripts', extensions: ['pkt', 'txt'] } : { name: 'Captures', extensions: ['pcap', 'pcapng', 'cap', 'gz'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      const chosen = choice.canceled ? null : (choice.filePaths[0] ?? null);
      if (chosen) grants.grant('open', chosen);
      return { handled: true, result: { path: chosen } };
    }
    case 'chooseSavePath': {
      const { title, defaultName } = methodValidators.chooseSavePath.params(params);
      if (!mainWindow) return { handled: true, result: { path: null } };
      const choice = await dialog.showSaveDialog(mainWindow, { title, defaultPath: defaultName });
      const chosen = choice.canceled ? null : (choice.filePath ?? null);
      if (chosen) grants.grant('save', chosen);
      return { handled: true, result: { path: chosen } };
    }
    case 'recentFiles':
      return { handled: true, result: { paths: readRecent() } };
    case 'restartEngine':
      restartEngine();
      return { handled: true, result: null };
    default:
      return { handled: false };
  }
}

ipcMain.handle('handshake:call', async (event, method: unknown, params: unknown) => {
  if (!trustedSender(event)) return { ok: false, error: { code: 'permission', message: 'request from an untrusted frame' } };
  if (!isMethod(method)) return { ok: false, error: { code: 'invalid', message: 'unknown method' } };
  try {
    let checked = methodValidators[method].params(params ?? null, 'params');
    try {
      checked = grants.check(method, checked) as typeof checked;
    } catch (error) {
      return { ok: false, error: { code: 'permission', message: error instanceof Error ? error.message : String(error) } };
    }
    const local = await handleLocally(method, checked);
    if (local.handled) return { ok: true, result: local.result };
    if (!enginePeer) throw new Error('the engine is not running; restart it from the banner');
    let result = await enginePeer.call(method, checked);
    if (method === 'hello') result = { ...(result as HostInfo), host: 'electron', nativeDialogs: true };
    if (method === 'openFile') rememberFile(path.resolve((checked as { path: string }).path));
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
});

// ------------------------------------------------------------ menu

function menuCommand(command: MenuCommand, filePath: string | null = null): void {
  const event = eventValidator({ type: 'menu', command, path: filePath });
  sendEvent(event);
}

function buildMenu(): void {
  const recent = readRecent();
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => menuCommand('open') },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((file) => ({ label: file, click: () => menuCommand('open-recent', file) }))
            : [{ label: 'No recent files', enabled: false }],
        },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => menuCommand('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => menuCommand('save-as') },
        { label: 'Export Specified Packets…', click: () => menuCommand('export-specified') },
        { label: 'Export Crafted Frames…', click: () => menuCommand('export-crafted') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Capture',
      submenu: [
        { label: 'Interfaces…', accelerator: 'CmdOrCtrl+I', click: () => menuCommand('capture-interfaces') },
        { label: 'Start', accelerator: 'CmdOrCtrl+E', click: () => menuCommand('capture-start') },
        { label: 'Stop', accelerator: 'CmdOrCtrl+Shift+E', click: () => menuCommand('capture-stop') },
        { label: 'Capture Filter…', click: () => menuCommand('capture-filter') },
        { label: 'Record Page Load…', click: () => menuCommand('record-page-load') },
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Packets', accelerator: 'Alt+1', click: () => menuCommand('view-packets') },
        { label: 'Connections', accelerator: 'Alt+2', click: () => menuCommand('view-connections') },
        { label: 'Ladder', accelerator: 'Alt+3', click: () => menuCommand('view-ladder') },
        { label: 'Editor', accelerator: 'Alt+4', click: () => menuCommand('view-editor') },
        { type: 'separator' },
        { label: 'Toggle Dark Theme', click: () => menuCommand('toggle-theme') },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Analyze',
      submenu: [
        {
          label: 'Follow',
          submenu: [
            { label: 'TCP Stream', accelerator: 'CmdOrCtrl+Alt+Shift+T', click: () => menuCommand('follow-tcp') },
            { label: 'TLS Stream', accelerator: 'CmdOrCtrl+Alt+Shift+S', click: () => menuCommand('follow-tls') },
            { label: 'HTTP/2 Stream', accelerator: 'CmdOrCtrl+Alt+Shift+H', click: () => menuCommand('follow-http2') },
            { label: 'UDP Stream', accelerator: 'CmdOrCtrl+Alt+Shift+U', click: () => menuCommand('follow-udp') },
            { label: 'QUIC Stream', accelerator: 'CmdOrCtrl+Alt+Shift+Q', click: () => menuCommand('follow-quic') },
            { label: 'HTTP/3 Stream', click: () => menuCommand('follow-http3') },
          ],
        },
      ],
    },
    {
      label: 'Statistics',
      submenu: [
        { label: 'TCP Stream Graphs', accelerator: 'Alt+8', click: () => menuCommand('view-graphs') },
        { label: 'Flow Graph', accelerator: 'Alt+Shift+F', click: () => menuCommand('view-flow') },
      ],
    },
    {
      label: 'Help',
      submenu: [
        { label: 'Handshake Workbench Help', click: () => menuCommand('help') },
        { label: 'RFC 9293 (TCP)', click: () => void shell.openExternal('https://www.rfc-editor.org/rfc/rfc9293') },
        { type: 'separator' },
        { label: 'Check Capture Permission…', click: () => menuCommand('check-permission') },
        { label: 'About Handshake Workbench', click: () => menuCommand('about') },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

// ------------------------------------------------------------ window and security

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Handshake Workbench',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.webContents.on('render-process-gone', (_event, details) => {
    if (details.reason !== 'clean-exit') mainWindow?.reload();
  });
  mainWindow.on('closed', () => (mainWindow = null));
  void mainWindow.loadFile(RENDERER_INDEX);
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // Links to the RFC open in the user's browser; nothing opens inside the app.
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://www.rfc-editor.org/')) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

// Files the OS hands over (file associations, "Open with", the command line) count as the
// command line for PathGrants: granted, then opened once the engine runs.
const launchFiles = new LaunchFiles();
// One app instance: a second launch (another double-clicked capture) opens its file in the first.
if (!app.requestSingleInstanceLock()) app.quit();
app.on('second-instance', (_event, argv, workingDirectory) => {
  const file = launchFileFromArgv(argv, app.isPackaged, workingDirectory, existsSync);
  if (file) launchFiles.request(file);
  if (mainWindow) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  }
});
// macOS delivers a double-clicked or dropped-on-the-Dock file here, possibly before ready.
app.on('open-file', (event, file) => {
  event.preventDefault();
  launchFiles.request(path.resolve(file));
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  // No remote content: anything but our own files (and the page's own blob:/data: URLs, e.g. a crafted pcap download) is blocked.
  const local = ['file://', 'devtools://', 'blob:', 'data:'];
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !local.some((prefix) => details.url.startsWith(prefix)) });
  });
  startEngine();
  buildMenu();
  createWindow();
  const fileArgument = launchFileFromArgv(process.argv, app.isPackaged, process.cwd(), existsSync);
  if (fileArgument) launchFiles.request(fileArgument);
  launchFiles.ready((file) => {
    grants.grant('open', file);
    void enginePeer?.call('openFile', { path: file }).catch(() => undefined);
  });
});

app.on('window-all-closed', () => {
  stoppingEngine = true;
  const child = engine;
  if (!child) return app.quit();
  // On SIGTERM the engine resets live conversations and removes their RST rules: quit once it has gone.
  child.once('exit', () => app.quit());
  setTimeout(() => app.quit(), 6000);
  child.kill();
});
