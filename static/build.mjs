// Copy the vendor files the pages need from node_modules into static/build/,
// and draw Fairground's own icons. Run by `npm run build`; no dependencies.
//
// GOV.UK's images are the crown and crest, which only GOV.UK may use, so we
// copy the folder (as GOV.UK Frontend expects) but leave out every
// govuk-* file and replace the favicons with our own "F" tile, which is
// drawn here from the same shapes as static/src/images/favicon.svg.

import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const build = join(root, "static", "build");
const images = join(build, "images");

mkdirSync(images, { recursive: true });

copyFileSync(join(govuk, "govuk-frontend.min.js"), join(build, "govuk-frontend.min.js"));
copyFileSync(join(govuk, "govuk-frontend.min.js.map"), join(build, "govuk-frontend.min.js.map"));

cpSync(join(govuk, "assets", "images"), images, {
  recursive: true,
  filter: (source) => !basename(source).startsWith("govuk-"),
});

// --- Our icons -------------------------------------------------------------

const TEAL = [0x00, 0x62, 0x5e];
const ACCENT = [0x7f, 0xc4, 0xbd];
const WHITE = [0xff, 0xff, 0xff];

// Shapes in the 32×32 units of favicon.svg: [x, y, width, height, colour].
// The tile is clipped to a rounded square unless `square` (Apple icons are
// masked by the system, so they should fill the whole square).
const SHAPES = [
  [0, 0, 32, 32, TEAL],
  [0, 27, 32, 5, ACCENT],
  [10, 6, 5, 18, WHITE],
  [10, 6, 13, 4.5, WHITE],
  [10, 13.5, 10, 4, WHITE],
];
const RADIUS = 6;

function insideTile(x, y) {
  const cx = Math.min(Math.max(x, RADIUS), 32 - RADIUS);
  const cy = Math.min(Math.max(y, RADIUS), 32 - RADIUS);
  return (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS ** 2;
}

function sample(x, y, square) {
  if (!square && !insideTile(x, y)) return null;
  let colour = null;
  for (const [sx, sy, w, h, c] of SHAPES) {
    if (x >= sx && x < sx + w && y >= sy && y < sy + h) colour = c;
  }
  return colour;
}

// Render at `size` pixels with 4×4 supersampling for smooth edges.
function draw(size, square = false) {
  const n = 4;
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const c = sample(((px + (i + 0.5) / n) * 32) / size, ((py + (j + 0.5) / n) * 32) / size, square);
          if (c) {
            sum[0] += c[0];
            sum[1] += c[1];
            sum[2] += c[2];
            sum[3] += 255;
          }
        }
      }
      const covered = sum[3] / 255;
      const at = (py * size + px) * 4;
      if (covered) {
        pixels[at] = Math.round(sum[0] / covered);
        pixels[at + 1] = Math.round(sum[1] / covered);
        pixels[at + 2] = Math.round(sum[2] / covered);
        pixels[at + 3] = Math.round(sum[3] / (n * n));
      }
    }
  }
  return png(size, pixels);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = [];
  for (let y = 0; y < size; y++) {
    rows.push(Buffer.from([0]), rgba.subarray(y * size * 4, (y + 1) * size * 4));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// An .ico file holding PNG images, which every current browser reads.
function ico(sizes) {
  const images = sizes.map((size) => draw(size));
  const header = Buffer.alloc(6 + 16 * sizes.length);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(sizes.length, 4);
  let offset = header.length;
  sizes.forEach((size, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size % 256, entry);
    header.writeUInt8(size % 256, entry + 1);
    header.writeUInt16LE(1, entry + 4);
    header.writeUInt16LE(32, entry + 6);
    header.writeUInt32LE(images[i].length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += images[i].length;
  });
  return Buffer.concat([header, ...images]);
}

copyFileSync(join(root, "static", "src", "images", "favicon.svg"), join(images, "favicon.svg"));
writeFileSync(join(images, "favicon.ico"), ico([16, 32, 48]));
writeFileSync(join(images, "icon-180.png"), draw(180, true));
writeFileSync(join(images, "icon-192.png"), draw(192));
writeFileSync(join(images, "icon-512.png"), draw(512));

// --- The door scanner's vendor files ---------------------------------------
// zxing-wasm's reader (ES module, its shared chunk and the .wasm, all served
// from /static/build/zxing/ so the scanner never reaches a CDN and works
// offline) and @noble/ed25519 (offline signature checks where the browser has
// no WebCrypto Ed25519).

const zxing = join(root, "node_modules", "zxing-wasm", "dist");
mkdirSync(join(build, "zxing", "reader"), { recursive: true });
copyFileSync(join(zxing, "es", "reader", "index.js"), join(build, "zxing", "reader", "index.js"));
copyFileSync(join(zxing, "es", "share.js"), join(build, "zxing", "share.js"));
copyFileSync(join(zxing, "reader", "zxing_reader.wasm"), join(build, "zxing", "zxing_reader.wasm"));
copyFileSync(join(root, "node_modules", "@noble", "ed25519", "index.js"), join(build, "noble-ed25519.js"));

// --- Fonts for the jobseeker's languages ------------------------------------
// Noto families from @fontsource, already cut to one script each: the browser
// fetches a file only when a page has characters in its unicode-range. Arabic
// and Bengali, Gurmukhi for Punjabi, Nastaliq for Urdu (fairground/i18n.py).
// fonts.css holds their @font-face rules; app.scss picks the family per language.

const FONTS = [
  ["noto-sans-arabic", "arabic"],
  ["noto-nastaliq-urdu", "arabic"],
  ["noto-sans-gurmukhi", "gurmukhi"],
  ["noto-sans-bengali", "bengali"],
];
mkdirSync(join(build, "fonts"), { recursive: true });
const faces = [];
for (const [name, subset] of FONTS) {
  const dir = join(root, "node_modules", "@fontsource", name);
  for (const weight of ["400", "700"]) {
    const css = readFileSync(join(dir, `${weight}.css`), "utf8");
    const file = `${name}-${subset}-${weight}-normal.woff2`;
    const block = css.split("@font-face").find((rule) => rule.includes(`/${file}`));
    if (!block) throw new Error(`no @font-face for ${file} in @fontsource/${name}`);
    const range = /unicode-range:\s*([^;]+);/.exec(block)[1];
    const family = /font-family:\s*'([^']+)'/.exec(block)[1];
    copyFileSync(join(dir, "files", file), join(build, "fonts", file));
    faces.push(
      `@font-face{font-family:"${family}";font-style:normal;font-weight:${weight};` +
        `font-display:swap;src:url(fonts/${file}) format("woff2");unicode-range:${range}}`,
    );
  }
}
writeFileSync(join(build, "fonts.css"), faces.join("\n") + "\n");

console.log(`Copied govuk-frontend files and fonts, and drew icons in ${build}`);
