// Vite builds the dashboard into ../internal/dashboard/dist, which the Go
// package internal/dashboard embeds. The output is committed, so it must be
// reproducible: content-hashed file names, no time stamps, no source maps
// (they would carry absolute paths). The build also writes sources.sha256,
// the hash of the files below, which a Go test recomputes to catch sources
// changed without a rebuild.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Files whose content decides the build, as slash paths relative to web/. */
export const hashedFiles = ['index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.ts'];
/** Directories whose every file decides the build. */
export const hashedDirs = ['src', 'public'];

function walk(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** sha256 over "path NUL sha256(content) LF" for every source file, sorted by path. */
function sourcesHash(): string {
  const files = [...hashedFiles.map((f) => join(root, f)), ...hashedDirs.flatMap((d) => walk(join(root, d)))]
    .map((p) => relative(root, p).split(sep).join('/'))
    .sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0${createHash('sha256').update(readFileSync(join(root, f))).digest('hex')}\n`);
  }
  return h.digest('hex');
}

function recordSources(): Plugin {
  return {
    name: 'salesseg-record-sources',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'sources.sha256', source: sourcesHash() + '\n' });
    },
  };
}

export default defineConfig({
  base: process.env.SALESSEG_WEB_BASE ?? '/',
  plugins: [recordSources()],
  // `npm run dev` serves the sources with hot reload and passes /v1 to the
  // local stack (`make local`).
  server: { proxy: { '/v1': process.env.SALESSEG_API ?? 'http://127.0.0.1:8080' } },
  build: {
    outDir: process.env.SALESSEG_WEB_OUT ?? '../internal/dashboard/dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
});
