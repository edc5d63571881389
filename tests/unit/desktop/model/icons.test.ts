import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  APP_ICO_SIZES,
  ICNS_TYPES,
  pngSize,
  TRAY_ICO_SIZES,
  writeIcns,
  writeIco,
} from '../../../../scripts/make-icons';
import { TRAY_STATES } from '../../../../src-main/desktop/model/tray-state';

/** Decodes an 8-bit RGBA, non-interlaced PNG (what Chromium's screenshots are) into its pixels. */
function rgba(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const { width, height } = pngSize(png);
  expect(png[24], 'bit depth').toBe(8);
  expect(png[25], 'colour type RGBA').toBe(6);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= 4 ? (pixels[y * stride + x - 4] as number) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const c = x >= 4 && y > 0 ? (pixels[(y - 1) * stride + x - 4] as number) : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter as number] as number;
      pixels[y * stride + x] = (v + predicted) & 0xff;
    }
  }
  return { width, height, pixels };
}

function readIco(file: Buffer): { width: number; png: Buffer }[] {
  expect(file.readUInt16LE(0)).toBe(0);
  expect(file.readUInt16LE(2)).toBe(1);
  return Array.from({ length: file.readUInt16LE(4) }, (_, i) => {
    const e = 6 + 16 * i;
    const png = file.subarray(
      file.readUInt32LE(e + 12),
      file.readUInt32LE(e + 12) + file.readUInt32LE(e + 8),
    );
    return { width: file[e] || 256, png };
  });
}

function readIcns(file: Buffer): { type: string; png: Buffer }[] {
  expect(file.toString('latin1', 0, 4)).toBe('icns');
  expect(file.readUInt32BE(4)).toBe(file.length);
  const out: { type: string; png: Buffer }[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at + 4);
    out.push({ type: file.toString('latin1', at, at + 4), png: file.subarray(at + 8, at + length) });
    at += length;
  }
  return out;
}

const asset = (...p: string[]) => readFileSync(join('assets', ...p));

describe('icon containers', () => {
  const png16 = asset('icons', '16x16.png');
  const png256 = asset('icons', '256x256.png');

  it('ICO: the directory names each PNG with its size and offset (256 written as 0)', () => {
    const ico = writeIco([png16, png256]);
    expect(ico[6 + 16]).toBe(0);
    expect(readIco(ico)).toEqual([
      { width: 16, png: png16 },
      { width: 256, png: png256 },
    ]);
    expect(() => writeIco([asset('icons', '512x512.png')])).toThrow(/256/);
  });

  it('ICNS: typed elements whose lengths add up to the file length', () => {
    const icns = writeIcns([
      { type: 'icp4', png: png16 },
      { type: 'ic08', png: png256 },
    ]);
    expect(readIcns(icns)).toEqual([
      { type: 'icp4', png: png16 },
      { type: 'ic08', png: png256 },
    ]);
  });
});

describe('committed icons (scripts/make-icons.ts output)', () => {
  it('the app icon: PNGs 16…1024 of their size, an .ico up to 256 and an .icns of every retina type', () => {
    for (const n of [16, 24, 32, 48, 64, 128, 256, 512, 1024])
      expect(pngSize(asset('icons', `${n}x${n}.png`))).toEqual({ width: n, height: n });
    expect(pngSize(asset('icon.png')).width).toBe(1024);
    expect(readIco(asset('icon.ico')).map((e) => pngSize(e.png).width)).toEqual([...APP_ICO_SIZES]);
    const icns = readIcns(asset('icon.icns'));
    expect(icns.map((e) => [e.type, pngSize(e.png).width])).toEqual(ICNS_TYPES.map((t) => [t.type, t.size]));
  });

  it('every tray state: 16 + @2x, 32 + @2x, a Windows .ico and macOS Template + @2x', () => {
    for (const state of TRAY_STATES) {
      const size = (f: string) => pngSize(asset('tray', f)).width;
      expect([
        size(`tray-${state}.png`),
        size(`tray-${state}@2x.png`),
        size(`tray-${state}-32.png`),
        size(`tray-${state}-32@2x.png`),
        size(`tray-${state}Template.png`),
        size(`tray-${state}Template@2x.png`),
      ]).toEqual([16, 32, 32, 64, 16, 32]);
      expect(readIco(asset('tray', `tray-${state}.ico`)).map((e) => e.width)).toEqual([...TRAY_ICO_SIZES]);
    }
  });

  it('macOS Template images are black and transparency only (the menu bar tints them)', () => {
    for (const f of readdirSync(join('assets', 'tray')).filter((n) => n.includes('Template'))) {
      const { pixels } = rgba(asset('tray', f));
      let opaque = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] === 0) continue;
        opaque += 1;
        expect([pixels[i], pixels[i + 1], pixels[i + 2]], f).toEqual([0, 0, 0]);
      }
      expect(opaque, f).toBeGreaterThan(pixels.length / 4 / 5);
    }
  });

  it('colour tray icons differ per state and have a transparent background', () => {
    const seen = new Set<string>();
    for (const state of TRAY_STATES) {
      const { pixels, width } = rgba(asset('tray', `tray-${state}-32.png`));
      expect(pixels[3], 'top-left corner').toBe(0);
      expect(pixels[(width * 31 + 0) * 4 + 3], 'bottom-left corner').toBe(0);
      seen.add(Buffer.from(pixels).toString('base64'));
    }
    expect(seen.size).toBe(TRAY_STATES.length);
  });
});
