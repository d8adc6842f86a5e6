/**
 * @file The AutoGraph esbuild plugin: `plugins: [autograph()]`. TypeScript is first compiled by
 * esbuild itself (with a source map, so errors keep the user's lines), then rewritten like the
 * Node hook does; the rewritten JS goes on through the build with the map inline.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { autographModule, withInlineMap } from './module.ts';
import type { RawSourceMap } from './source-map.ts';

/** The part of esbuild's plugin API the plugin uses (so kiln-jit needs no esbuild types). */
interface PluginBuild {
  onLoad(
    options: { filter: RegExp },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: 'js'; resolveDir: string } | undefined>,
  ): void;
  esbuild: {
    transform(
      code: string,
      options: { loader: 'ts' | 'tsx'; sourcemap: 'external'; sourcefile: string; target: string; format: 'esm' },
    ): Promise<{ code: string; map: string }>;
  };
}

export interface AutographPluginOptions {
  /** Which files to transform (default: .js/.mjs/.ts/.mts/.tsx outside node_modules). */
  filter?: RegExp;
}

/** An esbuild plugin applying AutoGraph to the modules of a build. */
export function autograph(options: AutographPluginOptions = {}): { name: string; setup(build: PluginBuild): void } {
  return {
    name: 'kiln-autograph',
    setup(build) {
      build.onLoad({ filter: options.filter ?? /\.(?:[cm]?js|[cm]?ts|tsx)$/ }, async ({ path }) => {
        if (path.includes('/node_modules/')) return undefined;
        const original = await readFile(path, 'utf8');
        let code = original;
        let map: string | undefined;
        if (/\.[cm]?tsx?$/.test(path)) {
          const loader = path.endsWith('x') ? 'tsx' : 'ts';
          // es2022: decorators are lowered, so acorn can read the output.
          const out = await build.esbuild.transform(original, {
            loader,
            sourcemap: 'external',
            sourcefile: path,
            target: 'es2022',
            format: 'esm',
          });
          code = out.code;
          map = out.map;
        }
        const result = autographModule({ code, original, file: path, map });
        if (!result.changed && map === undefined) return undefined;
        const contents = result.changed ? result.code : withInlineMap(code, JSON.parse(map!) as RawSourceMap);
        return { contents, loader: 'js', resolveDir: dirname(path) };
      });
    },
  };
}

export { autographTransform, decoratedMethodNames } from './transform.ts';
