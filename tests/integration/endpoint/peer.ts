/** The Linux peer of the endpoint's integration tests: a Node socket on the real stack, reporting what its kernel delivered. */
import { createHash } from 'node:crypto';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The peer's programs: a server that swaps a file for what it receives, and a client that does the same. */
export function peerScript(mode: 'server' | 'client', host: string, port: number, file: string, extra = ''): string {
  return `
    const net = require('net');
    const crypto = require('crypto');
    const fs = require('fs');
    const payload = ${JSON.stringify(file)} ? fs.readFileSync(${JSON.stringify(file)}) : Buffer.alloc(0);
    const handle = (socket) => {
      const hash = crypto.createHash('sha256');
      let bytes = 0;
      ${extra}
      socket.on('data', (data) => { hash.update(data); bytes += data.length; });
      socket.on('end', () => { console.log('end ' + bytes + ' ' + hash.digest('hex')); socket.end(); });
      socket.on('error', (error) => console.log('error ' + error.code));
      socket.on('close', () => console.log('close'));
      if (payload.length) socket.write(payload, () => console.log('written'));
    };
    if (${JSON.stringify(mode)} === 'server') {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => { console.log('accepted'); handle(socket); });
      server.listen(${port}, '${host}', () => console.log('listening'));
    } else {
      const connect = () => {
        const socket = net.connect({ host: '${host}', port: ${port}, allowHalfOpen: true }, () => console.log('connected'));
        socket.once('error', (error) => { if (error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH') setTimeout(connect, 200); });
        handle(socket);
      };
      connect();
    }
  `;
}
