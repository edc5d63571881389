/**
 * Renders the icons in assets/ from the SVG sources in assets/src/ (`npx tsx scripts/make-icons.ts`).
 * Debian's Chromium does the rasterising (through playwright-core), so the PNGs look like the SVGs do in
 * a browser; the .ico and .icns containers are written here, with PNG payloads inside.
 *
 * Outputs (committed):
 *   assets/icon.png (1024), assets/icons/<n>x<n>.png, assets/icon.ico, assets/icon.icns
 *   assets/tray/tray-<state>.png (16) + @2x (32), tray-<state>-32.png + @2x (64),
 *   tray-<state>Template.png (16) + @2x (32) for macOS, tray-<state>.ico (16–48) for Windows.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TRAY_STATES } from '../src-main/desktop/model/tray-state';
import { launchChromium } from '../tests/e2e/harness/chromium';

export const APP_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
export const TRAY_ICO_SIZES = [16, 20, 24, 32, 48] as const;

/**
 * ICNS element types with PNG payloads (macOS 10.7+), by pixel size. The @2x types (ic11–ic14) hold the
 * same pixels as their 1x neighbours; Finder and the Dock pick by type, so both are written.
 */
export const ICNS_TYPES: readonly { type: string; size: number }[] = [
  { type: 'icp4', size: 16 },
  { type: 'icp5', size: 32 },
  { type: 'icp6', size: 64 },
  { type: 'ic07', size: 128 },
  { type: 'ic08', size: 256 },
  { type: 'ic09', size: 512 },
  { type: 'ic10', size: 1024 },
  { type: 'ic11', size: 32 },
  { type: 'ic12', size: 64 },
  { type: 'ic13', size: 256 },
  { type: 'ic14', size: 512 },
];

/** A PNG's pixel size, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * An ICO file holding PNG images (Windows Vista and later read PNG entries): ICONDIR, one 16-byte
 * ICONDIRENTRY per image (width/height 0 means 256), then the PNGs.
 */
export function writeIco(pngs: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  let offset = 6 + 16 * pngs.length;
  const entries = pngs.map((png) => {
    const { width, height } = pngSize(png);
    if (width > 256 || height > 256) throw new Error(`ICO images are at most 256 px, not ${width}`);
    const entry = Buffer.alloc(16);
    entry.writeUInt8(width === 256 ? 0 : width, 0);
    entry.writeUInt8(height === 256 ? 0 : height, 1);
    entry.writeUInt8(0, 2);
    entry.writeUInt8(0, 3);
    entry.writeUInt16LE(1, 4);
    entry.writeUInt16LE(32, 6);
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...pngs]);
}

/** An ICNS file: 'icns' + total length, then per element its 4-character type, length (incl. 8) and data. */
export function writeIcns(elements: readonly { type: string; png: Buffer }[]): Buffer {
  const parts = elements.map(({ type, png }) => {
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Error(`bad ICNS type ${type}`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

type Render = (svg: string, size: number) => Promise<Buffer>;

async function withRenderer<T>(use: (render: Render) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    return await use(async (svg, size) => {
      await page.setViewportSize({ width: size, height: size });
      const sized = svg.replace(
        /<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"/,
        `<svg$1 width="${size}" height="${size}"`,
      );
      await page.setContent(
        `<!doctype html><html><body style="margin:0;background:transparent">${sized}</body></html>`,
      );
      const png = await page.screenshot({
        omitBackground: true,
        clip: { x: 0, y: 0, width: size, height: size },
      });
      const got = pngSize(png);
      if (got.width !== size || got.height !== size)
        throw new Error(`rendered ${got.width} px, wanted ${size}`);
      return png;
    });
  } finally {
    await browser.close();
  }
}

export async function makeIcons(assets: string): Promise<string[]> {
  const src = join(assets, 'src');
  const written: string[] = [];
  const write = async (file: string, data: Buffer) => {
    await writeFile(join(assets, file), data);
    written.push(file);
  };
  await mkdir(join(assets, 'icons'), { recursive: true });
  await mkdir(join(assets, 'tray'), { recursive: true });

  await withRenderer(async (render) => {
    const app = await readFile(join(src, 'app-icon.svg'), 'utf8');
    const appPngs = new Map<number, Buffer>();
    for (const size of APP_ICON_SIZES) {
      const png = await render(app, size);
      appPngs.set(size, png);
      await write(join('icons', `${size}x${size}.png`), png);
    }
    const at = (size: number) => appPngs.get(size) as Buffer;
    await write('icon.png', at(1024));
    await write('icon.ico', writeIco(APP_ICO_SIZES.map(at)));
    await write('icon.icns', writeIcns(ICNS_TYPES.map(({ type, size }) => ({ type, png: at(size) }))));

    for (const state of TRAY_STATES) {
      const colour = await readFile(join(src, `tray-${state}.svg`), 'utf8');
      const template = await readFile(join(src, `tray-${state}Template.svg`), 'utf8');
      const trayPngs = new Map<number, Buffer>();
      for (const size of new Set([...TRAY_ICO_SIZES, 64])) trayPngs.set(size, await render(colour, size));
      const tp = (size: number) => trayPngs.get(size) as Buffer;
      await write(join('tray', `tray-${state}.png`), tp(16));
      await write(join('tray', `tray-${state}@2x.png`), tp(32));
      await write(join('tray', `tray-${state}-32.png`), tp(32));
      await write(join('tray', `tray-${state}-32@2x.png`), tp(64));
      await write(join('tray', `tray-${state}.ico`), writeIco(TRAY_ICO_SIZES.map(tp)));
      await write(join('tray', `tray-${state}Template.png`), await render(template, 16));
      await write(join('tray', `tray-${state}Template@2x.png`), await render(template, 32));
    }
  });
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const written = await makeIcons(join(import.meta.dirname, '..', 'assets'));
  console.log(`Wrote ${written.length} files under assets/.`);
}
