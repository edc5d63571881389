import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRODUCT_NAME } from '../../../../src-main/core/paths';
import { APP_ID } from '../../../../src-main/desktop/model/app-identity';

describe('app identity', () => {
  const builder = parse(readFileSync('electron-builder.yml', 'utf8')) as {
    appId: string;
    productName: string;
  };
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { productName: string };

  it("the AppUserModelID the app sets is electron-builder's appId (Windows notifications depend on it)", () => {
    expect(builder.appId).toBe(APP_ID);
  });

  it('the product name is the same in the builder config, package.json and the data folder', () => {
    expect(builder.productName).toBe(PRODUCT_NAME);
    expect(pkg.productName).toBe(PRODUCT_NAME);
  });
});
