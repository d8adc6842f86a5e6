/**
 * @file The AutoGraph esbuild plugin: `plugins: [autograph()]`. TypeScript is first compiled by
 * esbuild itself (with a source map, so errors keep the user's lines), then rewritten like the
 * Node hook does; the rewritten JS goes on through the build with the map inline.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { autographModule, sourceMapper } from './module.ts';

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
        let mapLocation;
        let mapText: string | null = null;
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
          mapText = out.map;
          mapLocation = sourceMapper(out.map);
        }
        const result = autographModule({ code, original, file: path, mapLocation });
        if (!result.changed && mapText === null) return undefined;
        const inline = mapText
          ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(mapText).toString('base64')}\n`
          : '';
        return { contents: result.code + inline, loader: 'js', resolveDir: dirname(path) };
      });
    },
  };
}

export { autographTransform, decoratedMethodNames } from './transform.ts';
