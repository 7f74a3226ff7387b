// Files written by the real capture tools, tcpdump (pcap, µs and ns) and dumpcap
// (pcapng with SHB/IDB options and ISBs), of a TCP connection on loopback
// made by this test. tshark is the oracle.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { haveTshark, readAll, run, tsharkFrames, withTempDir } from './tools';

const isRoot = process.getuid?.() === 0;
const haveTcpdump = (() => {
  try {
    run('tcpdump', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const temp = withTempDir('files-live');
afterAll(() => temp.cleanup());

/** Starts a capture tool and resolves once it says it is listening. */
function startCapture(command: string, args: string[], readyPattern: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not start: ${stderr}`));
    }, 15_000);
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
      if (readyPattern.test(stderr)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}): ${stderr}`));
    });
  });
}

function stopCapture(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGINT');
  });
}

/** An echo server on 127.0.0.1 at a port the kernel picks, so concurrent tests never collide. */
async function openEchoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('data', (data) => socket.end(Buffer.concat([Buffer.from('echo:'), data])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** One TCP connection with data both ways and a clean close. */
async function talkTo(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const client = net.connect(port, '127.0.0.1', () => client.write('x'.repeat(3000)));
    client.on('data', () => undefined);
    client.on('end', () => client.end());
    client.on('close', () => resolve());
    client.on('error', reject);
  });
  // libpcap hands packets over in blocks with a timeout; give the tool time to write the last ones.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

/** Captures one loopback connection to a fresh server with `tool`, returning the file. */
async function captureConnection(file: string, tool: (port: number) => [string, string[], RegExp]): Promise<void> {
  const server = await openEchoServer();
  try {
    const [command, args, ready] = tool(server.port);
    const capture = await startCapture(command, args, ready);
    // dumpcap announces itself slightly before its capture handle is live.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      await talkTo(server.port);
    } finally {
      await stopCapture(capture);
    }
  } finally {
    await server.close();
  }
}

describe.skipIf(!isRoot || !haveTshark || !haveTcpdump)('files from live capture tools on loopback', () => {
  for (const precision of ['micro', 'nano'] as const) {
    it(`reads tcpdump's ${precision}second pcap as tshark does`, async () => {
      const file = temp.file(`tcpdump-${precision}.pcap`);
      await captureConnection(file, (port) => [
        'tcpdump',
        ['-i', 'lo', '-U', '--immediate-mode', '-n', `--time-stamp-precision=${precision}`, '-w', file, `tcp port ${port}`],
        /listening on/,
      ]);
      const outcome = readAll(readFileSync(file), () => 4096);
      expect(outcome.damage).toBeUndefined();
      expect(outcome.interfaces[0]).toMatchObject({ tsResolution: precision === 'nano' ? 9 : 6 });
      const oracle = tsharkFrames(file);
      expect(oracle.length).toBeGreaterThanOrEqual(6); // handshake, data, teardown
      expect(outcome.frames.map((f) => [f.epoch, f.originalLength, f.capturedLength])).toEqual(oracle.map((t) => [t.epoch, t.len, t.capLen]));
    });
  }

  it("reads dumpcap's pcapng (interface options, statistics blocks) as tshark does", async () => {
    const file = temp.file('dumpcap.pcapng');
    let filter = '';
    await captureConnection(file, (port) => {
      filter = `tcp port ${port}`;
      return ['dumpcap', ['-i', 'lo', '-f', filter, '-w', file], /Capturing on/];
    });
    const outcome = readAll(readFileSync(file), () => 1000);
    expect(outcome.damage).toBeUndefined();
    expect(outcome.interfaces[0]).toMatchObject({ name: 'lo', filter });
    expect(outcome.sections[0].userApplication).toMatch(/Dumpcap/i);
    const oracle = tsharkFrames(file);
    expect(oracle.length).toBeGreaterThanOrEqual(6);
    expect(outcome.frames.map((f) => [f.epoch, f.originalLength, f.capturedLength, outcome.interfaces[f.interfaceId].name])).toEqual(
      oracle.map((t) => [t.epoch, t.len, t.capLen, t.interfaceName]),
    );
    // dumpcap closes the file with an ISB counting what it received.
    const stats = outcome.statistics.at(-1);
    expect(stats?.interfaceId).toBe(0);
    expect(stats?.received).toBeGreaterThanOrEqual(oracle.length);
  });
});
