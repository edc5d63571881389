import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { NativeImage, nativeImage as realNativeImage, Size, ToPNGOptions } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { conversionFailure } from './recorder';

interface ImageState {
  /** The file it was made from, for tests to see which icon is shown. */
  path: string | null;
  /** The encoded image (PNG or JPEG) as read, or null for an empty image. */
  data: Buffer | null;
  size: Size;
  template: boolean;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The pixel size Chromium's decoder would report: PNG from IHDR, JPEG from its SOFn segment. */
function decodedSize(data: Buffer): Size | null {
  if (
    data.length >= 24 &&
    data.subarray(0, 8).equals(PNG_SIGNATURE) &&
    data.toString('latin1', 12, 16) === 'IHDR'
  )
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  if (data.length > 4 && data[0] === 0xff && data[1] === 0xd8) {
    let at = 2;
    while (at + 9 < data.length && data[at] === 0xff) {
      const marker = data[at + 1] as number;
      const length = data.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
        return { width: data.readUInt16BE(at + 7), height: data.readUInt16BE(at + 5) };
      at += 2 + length;
    }
  }
  return null;
}

class StandInNativeImage implements Imitation<NativeImage> {
  readonly [INSIDE]: ImageState;

  constructor(path: string | null, data: Buffer | null) {
    const size = data ? decodedSize(data) : null;
    this[INSIDE] = {
      path,
      data: size ? data : null,
      size: size ?? { width: 0, height: 0 },
      template: false,
    };
  }

  isEmpty(): boolean {
    return this[INSIDE].data === null;
  }

  getSize(): Size {
    return { ...this[INSIDE].size };
  }

  getAspectRatio(): number {
    const { width, height } = this[INSIDE].size;
    return height === 0 ? 1 : width / height;
  }

  toPNG(_options?: ToPNGOptions): Buffer {
    const data = this[INSIDE].data;
    if (!data) return Buffer.alloc(0);
    if (data.subarray(0, 8).equals(PNG_SIGNATURE)) return Buffer.from(data);
    throw new Error('The electron stand-in re-encodes PNG images only; this one is a JPEG');
  }

  setTemplateImage(option: boolean): void {
    this[INSIDE].template = option;
  }

  isTemplateImage(): boolean {
    return this[INSIDE].template;
  }

  get isMacTemplateImage(): boolean {
    return this[INSIDE].template;
  }

  set isMacTemplateImage(value: boolean) {
    this[INSIDE].template = value;
  }
}
const imageOnly: OnlyElectron<StandInNativeImage, NativeImage> = true;
void imageOnly;

export { StandInNativeImage };

/**
 * `nativeImage` of the electron module. A file that is missing, not absolute or not an image Chromium can
 * decode gives an empty image, not an error (as Electron does: check isEmpty()).
 */
export const nativeImage = {
  createFromPath(path: string): StandInNativeImage {
    if (typeof path !== 'string') throw conversionFailure(0, path);
    let data: Buffer | null = null;
    if (isAbsolute(path)) {
      try {
        data = readFileSync(path);
      } catch {
        data = null;
      }
    }
    return new StandInNativeImage(path, data);
  },
  createFromBuffer(buffer: Buffer): StandInNativeImage {
    if (!Buffer.isBuffer(buffer)) throw conversionFailure(0, buffer);
    return new StandInNativeImage(null, Buffer.from(buffer));
  },
  createEmpty(): StandInNativeImage {
    return new StandInNativeImage(null, null);
  },
} satisfies Imitation<typeof realNativeImage>;

/** What Electron accepts where it takes an image: a NativeImage, or a path it loads. */
export function imageArgument(image: unknown, index: number): StandInNativeImage {
  if (typeof image === 'string') return nativeImage.createFromPath(image);
  if (image instanceof StandInNativeImage) return image;
  throw conversionFailure(index, image);
}
