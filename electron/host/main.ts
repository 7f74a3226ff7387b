// Entry point of out/node/host.cjs: the browser host on its own (same flags as `handshake ui`).
import { runUi } from '../cli/commands/ui';

runUi(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`handshake ui: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
