// Renders build/icons/icon.svg into every icon the three OSes need:
//   build/icons/NxN.png  16…1024  (Linux: electron-builder reads the directory; also the window icon)
//   build/icons/icon.ico          (Windows, NSIS: 16–256, PNG-compressed entries)
//   build/icons/icon.icns         (macOS: 16–1024 incl. @2x, PNG-compressed entries)
// Needs rsvg-convert (Debian: librsvg2-bin). The outputs are committed, so only someone
// changing the SVG needs to run `npm run icons`.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const iconDir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'build', 'icons');
const source = path.join(root, 'build', 'icons', 'icon.svg');

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// Apple's ICNS element types that hold PNG data, by pixel size (retina types reuse the larger render).
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic13', 256], // 128@2x
  ['ic14', 512], // 256@2x
];

function render(size) {
  const output = path.join(iconDir, `${size}x${size}.png`);
  const result = spawnSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--format', 'png', '--output', output, source], {
    encoding: 'utf8',
  });
  if (result.error || result.status !== 0) {
    throw new Error(`rsvg-convert failed for ${size}px: ${result.error?.message ?? result.stderr} (Debian: apt-get install librsvg2-bin)`);
  }
  return readFileSync(output);
}

/** ICONDIR + ICONDIRENTRY table + PNG images (Vista+ reads PNG entries; 256 is written as 0). */
function buildIco(pngs) {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach(({ size, data }, index) => {
    const entry = 6 + 16 * index;
    header.writeUInt8(size >= 256 ? 0 : size, entry);
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt8(0, entry + 2); // no palette
    header.writeUInt8(0, entry + 3);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(data.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...pngs.map((png) => png.data)]);
}

/** 'icns' + big-endian total length, then (type, length including its 8-byte header, PNG) elements. */
function buildIcns(pngBySize) {
  const elements = ICNS_TYPES.map(([type, size]) => {
    const data = pngBySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(8 + data.length, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + elements.reduce((sum, element) => sum + element.length, 0), 4);
  return Buffer.concat([head, ...elements]);
}

const pngBySize = new Map(PNG_SIZES.map((size) => [size, render(size)]));
writeFileSync(path.join(iconDir, 'icon.ico'), buildIco(ICO_SIZES.map((size) => ({ size, data: pngBySize.get(size) }))));
writeFileSync(path.join(iconDir, 'icon.icns'), buildIcns(pngBySize));
console.log(`icons written to ${path.relative(root, iconDir) || '.'}`);
