// Builds dist/: ESM (library + CLI, sharing chunks so a flow file and the CLI share one runtime),
// a CommonJS copy of the library, and type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
};
await Promise.all([
  build({
    ...common,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    outdir: 'dist',
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', format: 'cjs' }),
]);
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
writeFileSync('dist/index.d.ts', "export * from './types/index.js';\n");
