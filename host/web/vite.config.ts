import { defineConfig } from 'vite';

// The host serves `dist/` (embedded in release builds). `npm run dev` proxies the API to a
// host on 127.0.0.1:8080 so the client can be worked on with hot reload.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
