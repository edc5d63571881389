import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Bundled whole, so the package carries no loose JS dependencies; native addons stay outside
      // (keytar, the SQLite binding of the history, which finds its prebuilt binary beside its own files, and
      // ssh2's optional cpu-features / sshcrypto, which it loads inside try/catch).
      externalizeDeps: false,
      rollupOptions: {
        input: { main: resolve('src-main/desktop/main.ts') },
        external: ['keytar', '@photostructure/sqlite', 'cpu-features', /sshcrypto\.node$/],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require nothing but 'electron': bundle what it imports (the channel names).
      externalizeDeps: false,
      minify: true,
      rollupOptions: {
        input: { preload: resolve('src-main/desktop/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      minify: true,
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
  },
});
