// `npm start` and `npm run dev` need Electron's binary, which `npm install` downloads (skipped
// with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or without access to its download host). Without it
// electron-vite ends in a bare "Electron uninstall"; this says what is missing, in one line,
// and what to do instead. It looks where electron-vite does: ELECTRON_EXEC_PATH, else
// node_modules/electron/path.txt naming a file in node_modules/electron/dist.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return process.env.ELECTRON_EXEC_PATH;
  let moduleDirectory;
  try {
    moduleDirectory = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = path.join(moduleDirectory, 'path.txt');
  if (!existsSync(pathFile)) return null;
  return path.join(moduleDirectory, 'dist', readFileSync(pathFile, 'utf8').trim());
}

const binary = electronBinary();
if (!binary || !existsSync(binary)) {
  process.stderr.write(
    "handshake: Electron's binary is not installed (npm install skipped or could not download it), so the desktop app cannot start\n" +
      '  Use the same workbench in a browser: npm run -s handshake -- ui [FILE]\n' +
      '  Or download Electron: node node_modules/electron/install.js\n',
  );
  process.exit(1);
}
