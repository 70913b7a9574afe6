import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The views' tests live with the views in ../widgets/test; this package's toolchain runs them.
export default defineConfig({
  resolve: {
    alias: {
      vitest: fileURLToPath(new URL('./node_modules/vitest/dist/index.js', import.meta.url))
    }
  },
  server: { fs: { allow: ['..'] } },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts', '../widgets/test/**/*.test.ts'],
    setupFiles: ['test/setup.ts']
  }
});
