// Builds dist/: ESM (library + CLI, sharing chunks so a flow file and the CLI share one runtime),
// a CommonJS copy of the library, and type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
// Small dependencies are bundled in: one file loads far faster than a tree of ESM modules, and
// start-up is part of every `kitaru run`. tsx (and esbuild under it) and ora stay external, and so
// do pg and graphile-worker: optional peers, imported only in Postgres mode, from the user's project.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['tsx', 'tsx/*', 'esbuild', 'ora', 'pg', 'graphile-worker'],
  logLevel: 'warning',
};
await Promise.all([
  build({
    ...common,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    outdir: 'dist',
    format: 'esm',
    splitting: true,
    // Bundled CommonJS dependencies (commander) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kitaruRequire } from 'node:module';\nconst require = __kitaruRequire(import.meta.url);",
    },
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', format: 'cjs' }),
]);
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// Declarations keep the source layout (src/, and ui/format.js that the CLI shares with the page).
writeFileSync('dist/index.d.ts', "export * from './types/src/index.js';\n");
