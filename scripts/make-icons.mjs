// Draws the add-in icons (assets/icon-<size>.png) without any image library: a blue calendar page with a
// white header band and a 3x2 grid of days, one of them highlighted. Run once; the PNGs are committed.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

function icon(size) {
  const px = (x, y) => {
    const u = (x + 0.5) / size;
    const v = (y + 0.5) / size;
    const r = 0.14;
    const cx = Math.min(Math.max(u, r + 0.04), 0.96 - r);
    const cy = Math.min(Math.max(v, r + 0.04), 0.96 - r);
    const inside = (u - cx) ** 2 + (v - cy) ** 2 <= r * r;
    if (!inside) return [0, 0, 0, 0];
    if (v < 0.34) return [0x0f, 0x4c, 0x81, 255]; // header band
    const col = Math.floor((u - 0.14) / 0.24);
    const row = Math.floor((v - 0.42) / 0.24);
    const inCell = col >= 0 && col < 3 && row >= 0 && row < 2 && (u - 0.14) % 0.24 < 0.18 && (v - 0.42) % 0.24 < 0.18;
    if (inCell) return col === 1 && row === 0 ? [0xff, 0xb9, 0x00, 255] : [255, 255, 255, 255];
    return [0x00, 0x78, 0xd4, 255];
  };
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) Buffer.from(px(x, y)).copy(raw, y * (size * 4 + 1) + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const size of [16, 32, 64, 80, 128])
  writeFileSync(new URL(`../assets/icon-${size}.png`, import.meta.url), icon(size));
