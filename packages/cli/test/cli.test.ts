/**
 * End-to-end tests: the real `kiln` bin on fixture files (TypeScript and JavaScript), checked
 * against the IR that the same traced functions give in this process. Every run starts when the
 * file loads (a few at a time) and each test awaits the runs it reads.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDot } from '@ts-graphviz/ast';
import { XMLValidator } from 'fast-xml-parser';
import { asTraced, kernelCount, memoryPlanOf, printGraph, stageChanged, type Graph, type Stage } from 'kiln-jit';
import { affine, tiny } from './fixtures/models.ts';
import { softSum } from './fixtures/plain.js';
import { FIXTURES, kiln, lineOf, ROOT, type KilnRun } from './support/run-kiln.ts';

const MODELS = `${FIXTURES}/models.ts`;
const PLAIN = `${FIXTURES}/plain.js`;
const modelsSource = readFileSync(join(ROOT, MODELS), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const BROKEN = join(tmp, 'broken.ts');
writeFileSync(BROKEN, 'import { trace } from "kiln-jit";\n\nexport const f = trace((x) => x +, {});\n');

const GRAPH_STAGES = [
  'traced',
  'constantFold',
  'simplify',
  'cse',
  'dce',
  'fuse',
  'planMemory',
  'optimized',
  'fused',
  'planned',
];
const PASSES = GRAPH_STAGES.slice(0, 7);

// Every run starts now; the tests below await them.
const runs = {
  listTs: kiln(['list', MODELS, '--json']),
  listJs: kiln(['list', PLAIN]),
  stages: Object.fromEntries(GRAPH_STAGES.map((s) => [s, kiln(['dump', MODELS, '--fn', 'affine', '--stage', s])])),
  wat: kiln(['dump', MODELS, '--fn', 'affine', '--stage', 'wat']),
  allStages: kiln(['dump', MODELS, '--fn', 'Tiny.step', '--all-stages']),
  allStagesJson: kiln(['dump', MODELS, '--fn', 'step', '--all-stages', '--json']),
  loc: kiln(['dump', MODELS, '--fn', 'affine', '--stage', 'traced', '--loc']),
  jsArgs: kiln(['dump', PLAIN, '--fn', 'double', '--args', 'f32[2, 3]', '--json']),
  inspectStep: kiln(['inspect', MODELS, '--fn', 'step', '--json']),
  inspectJs: kiln(['inspect', PLAIN, '--fn', 'softSum']),
  dotFused: kiln(['graph', MODELS, '--fn', 'step', '--format', 'dot']),
  dotTraced: kiln(['graph', PLAIN, '--fn', 'softSum', '--stage', 'traced']),
  svg: kiln(['graph', MODELS, '--fn', 'step', '--format', 'svg']),
  png: kiln(['graph', MODELS, '--fn', 'affine', '-o', join(tmp, 'affine.png')]),
  noDot: kiln(['graph', MODELS, '--fn', 'affine', '--format', 'svg'], { PATH: '/nonexistent' }),
  missingFile: kiln(['dump', `${FIXTURES}/missing.ts`]),
  syntaxError: kiln(['dump', BROKEN]),
  noSuchFunction: kiln(['dump', MODELS, '--fn', 'nope']),
  badArgs: kiln(['dump', MODELS, '--fn', 'meanOf', '--args', 'f32[2,x] i32[4]']),
  unknownStage: kiln(['dump', MODELS, '--fn', 'affine', '--stage', 'vectorize']),
  noSignature: kiln(['dump', MODELS, '--fn', 'meanOf']),
  noInstance: kiln(['dump', `${FIXTURES}/no-instance.ts`, '--fn', 'forward']),
  several: kiln(['inspect', MODELS]),
  unknownOption: kiln(['dump', MODELS, '--stag', 'fused']),
  throwsOnLoad: kiln(['dump', `${FIXTURES}/throws-on-load.ts`, '--fn', 'f', '--args', 'f32[1]']),
  throwsInTrace: kiln(['dump', MODELS, '--fn', 'step', '--args', 'f32[4,5] i32[4]']),
  dumpHelp: kiln(['dump', '--help']),
};

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stagesOfAffine = (): readonly Stage[] => affine.stages();
const stagesOfStep = (): readonly Stage[] => asTraced(tiny.step).stages();
const stageGraph = (stages: readonly Stage[], name: string): Graph =>
  [...stages].reverse().find((s) => s.name === name)!.graph;

function expectOk(run: KilnRun): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

function expectUsageError(run: KilnRun, message: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toEqual([message]);
}

describe('kiln list', () => {
  it('finds trace() calls and @trace() methods in a TypeScript file, with names, lines and signatures', async () => {
    const run = await runs.listTs;
    expectOk(run);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        name: 'affine',
        kind: 'function',
        symbol: 'const affine',
        file: MODELS,
        line: lineOf(modelsSource, 'export const affine'),
        column: 23,
        inputSignature: 'f32[8,16] f32[16,4]',
      },
      {
        name: 'step',
        kind: 'method',
        symbol: 'Tiny.step',
        file: MODELS,
        line: lineOf(modelsSource, '  step('),
        column: 3,
        inputSignature: 'f32[4,16] i32[4]',
      },
      {
        name: 'meanOf',
        kind: 'function',
        symbol: 'const meanOf',
        file: MODELS,
        line: lineOf(modelsSource, 'export const meanOf'),
        column: 23,
        inputSignature: null,
      },
    ]);
  });

  it('prints a plain table for a JavaScript file, without colors when not on a terminal', async () => {
    const run = await runs.listJs;
    expectOk(run);
    expect(run.stdout).toBe(
      [
        'name     kind      location                                defined as     input signature',
        'softSum  function  packages/cli/test/fixtures/plain.js:4   const softSum  f32[2,8]',
        'double   function  packages/cli/test/fixtures/plain.js:11  const double',
        '',
      ].join('\n'),
    );
  });
});

describe('kiln dump', () => {
  it.each(GRAPH_STAGES)('prints the IR after stage %s, as the tracer prints it', async (stage) => {
    const run = await runs.stages[stage]!;
    expectOk(run);
    expect(run.stdout).toBe(printGraph(stageGraph(stagesOfAffine(), stage)));
  });

  it('prints the Wasm text of stage wat: an entry function and a kernel function per kernel node', async () => {
    const run = await runs.wat;
    expectOk(run);
    expect(run.stdout.startsWith('(module')).toBe(true);
    expect(run.stdout).toContain('(export "entry" (func $entry))');
    const planned = stageGraph(stagesOfAffine(), 'planned');
    const kernelOps = planned.nodes
      .filter((n) => n.op !== 'constant' && n.op !== 'reshape')
      .map((n) => n.op.replace('.', '_'));
    expect(kernelOps.length).toBe(kernelCount(planned));
    const kernelFunctions = [...run.stdout.matchAll(/^ \(func \$([A-Za-z_]+)_\d+ /gm)]
      .map((m) => m[1])
      .filter((f) => f !== 'matmul2d');
    expect(kernelFunctions).toEqual(kernelOps);
  });

  it('--all-stages prints every pass, the changed ones in full with their lines marked (method found by Class.method)', async () => {
    const run = await runs.allStages;
    expectOk(run);
    const stages = stagesOfStep().filter((s) => PASSES.includes(s.name));
    const headers = run.stdout.split('\n').filter((l) => l.startsWith('=== '));
    expect(headers.map((h) => h.split(/[ :(]/)[1])).toEqual(PASSES);
    stages.forEach((stage, i) => {
      expect(headers[i]).toContain(`: ${stage.graph.nodes.length} nodes`);
      if (i > 0) expect(headers[i]!.endsWith(stageChanged(stages, i) ? ' lines ===' : ', unchanged ===')).toBe(true);
    });
    const sections = run.stdout.split(/^=== .*$\n/m).slice(1);
    stages.forEach((stage, i) => {
      if (i > 0 && !stageChanged(stages, i)) return expect(sections[i]).toBe('');
      const kept = sections[i]!.split('\n')
        .filter((l) => l !== '' && !l.startsWith('- '))
        .map((l) => l.slice(2));
      expect(kept.join('\n') + '\n').toBe(printGraph(stage.graph));
    });
    expect(sections.join('')).toMatch(/^\+ {3}%\d+: .* = fused\.\w+ /m);
  });

  it('--all-stages --json gives each stage with its node count and change marks', async () => {
    const run = await runs.allStagesJson;
    expectOk(run);
    const data = JSON.parse(run.stdout) as {
      function: string;
      stages: { name: string; nodes: number; changed: boolean; added: number; removed: number; ir: string }[];
    };
    const stages = stagesOfStep().filter((s) => PASSES.includes(s.name));
    expect(data.function).toBe('step');
    expect(data.stages.map((s) => [s.name, s.nodes, s.changed, s.ir])).toEqual(
      stages.map((s, i) => [s.name, s.graph.nodes.length, stageChanged(stages, i), printGraph(s.graph)]),
    );
    expect(data.stages.find((s) => s.name === 'dce')!.removed).toBeGreaterThan(0);
  });

  it("--loc shows each node's line in the user's file", async () => {
    const run = await runs.loc;
    expectOk(run);
    const at = (marker: string) => `# ${MODELS}:${lineOf(modelsSource, marker)}`;
    expect(run.stdout).toContain(`= matmul %x, %w  ${at('LOC:affine-matmul')}\n`);
    expect(run.stdout).toMatch(new RegExp(`= relu %0  ${at('LOC:affine-relu')}\n`));
  });

  it('traces a JavaScript function from --args (no inputSignature), printing JSON', async () => {
    const run = await runs.jsArgs;
    expectOk(run);
    expect(JSON.parse(run.stdout)).toEqual({
      function: 'double',
      file: PLAIN,
      stage: 'optimized',
      ir: 'graph @double(%x: f32[2,3]) {\n  %0: f32[] = constant 2\n  %1: f32[2,3] = mul %x, %0\n  return %1\n}\n',
    });
  });
});

interface Report {
  function: string;
  arguments: string[];
  variables: string[];
  backend: string;
  stages: { name: string; nodes: number; ops: Record<string, number>; ms: number; changed: boolean }[];
  fusionGroups: { value: string; kind: string; ops: string[]; inputs: number; type: string; loc: string | null }[];
  memory: {
    buffers: { offset: number; bytes: number; values: string[] }[];
    peakBytes: number;
    totalBytes: number;
    inPlace: number;
    views: number;
    variablesInPlace: string[];
  };
  kernels: number;
  wasm: { kernels: number; bytes: number; frameBytes: number };
  timings: { traceMs: number; passesMs: Record<string, number>; compileMs: number; binaryen: Record<string, number> };
}

const opsOf = (g: Graph): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const n of g.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
};

describe('kiln inspect', () => {
  it('--json reports op counts, fusion groups, memory plan and kernels that match the IR', async () => {
    const run = await runs.inspectStep;
    expectOk(run);
    const r = JSON.parse(run.stdout) as Report;
    const stages = stagesOfStep();
    const planned = stageGraph(stages, 'planned');
    const fused = stageGraph(stages, 'fused');
    expect(r).toMatchObject({
      function: 'step',
      arguments: ['x: f32[4,16]', 'y: i32[4]'],
      variables: ['w: f32[48]', 'sgd_iterations: i32[]'], // the optimizer's step count is a variable too
      backend: 'wasm',
    });
    expect(r.stages.map((s) => s.name)).toEqual(PASSES);
    for (const s of r.stages) {
      expect(s.nodes).toBe(stageGraph(stages, s.name).nodes.length);
      expect(s.ops).toEqual(opsOf(stageGraph(stages, s.name)));
    }
    const groups = fused.nodes.filter((n) => n.body);
    expect(r.fusionGroups.map((g) => [g.value, `fused.${g.kind}`, g.ops, g.inputs])).toEqual(
      groups.map((n) => [
        `%${fused.nodes.indexOf(n)}`,
        n.op,
        n.body!.nodes.filter((m) => m.op !== 'constant').map((m) => m.op),
        n.inputs.length,
      ]),
    );
    expect(r.fusionGroups.every((g) => g.loc?.startsWith(`${MODELS}:`))).toBe(true);
    const plan = memoryPlanOf(planned)!;
    expect(r.memory).toMatchObject({
      peakBytes: plan.peakBytes,
      totalBytes: plan.totalBytes,
      inPlace: plan.inPlace.size,
      views: plan.aliases.size,
    });
    expect(r.memory.buffers.length).toBe(plan.buffers.length);
    expect(r.memory.variablesInPlace).toEqual([...plan.variablesInPlace].map((p) => p.name));
    expect(r.kernels).toBe(kernelCount(planned));
    expect(r.wasm.kernels).toBe(r.kernels);
    expect(r.wasm.bytes).toBeGreaterThan(100);
    expect(Object.keys(r.timings.passesMs)).toEqual(PASSES.slice(1));
    expect(r.timings.compileMs).toBeGreaterThan(0);
    expect(Object.keys(r.timings.binaryen)).toEqual(['buildMs', 'optimizeMs', 'instantiateMs']);
  });

  it('prints the same report as text with a section per topic', async () => {
    const run = await runs.inspectJs;
    expectOk(run);
    expect(run.stdout.split('\n')[0]).toBe(`softSum(x: f32[2,8])  ${PLAIN}`);
    for (const section of ['ops per stage', 'fusion groups (1)', 'memory plan', 'kernels', 'time'])
      expect(run.stdout).toContain(`\n${section}\n`);
    const kernels = kernelCount(stageGraph(softSum.stages(), 'planned'));
    expect(run.stdout).toMatch(new RegExp(`\\n${kernels} kernels; wasm module `));
  });

  it('says when the module came from the persistent compile cache, and still prints its wat', async () => {
    const cache = { KILN_CACHE: '1', KILN_CACHE_DIR: join(tmp, 'compile-cache') };
    const first = await kiln(['inspect', PLAIN, '--fn', 'softSum'], cache);
    expectOk(first);
    expect(first.stdout).not.toContain('persistent compile cache');
    const second = await kiln(['inspect', PLAIN, '--fn', 'softSum'], cache);
    expectOk(second);
    expect(second.stdout).toMatch(/frame [^\n]*, loaded from the persistent compile cache with its planned graph\n/);
    const json = await kiln(['inspect', PLAIN, '--fn', 'softSum', '--json'], cache);
    expect(JSON.parse(json.stdout) as { wasm: object }).toMatchObject({
      wasm: { compiledBy: 'cache', plannedBy: 'cache' },
    });
    const wat = await kiln(['dump', PLAIN, '--fn', 'softSum', '--stage', 'wat'], cache);
    expectOk(wat);
    expect(wat.stdout).toMatch(/^\(module\n/);
    expect(wat.stdout).toContain('(export "entry"');
  });

  it('reports the threads each kernel uses (KILN_THREADS=2 splits the matmul; 1 does not)', async () => {
    const env = { KILN_PARALLEL_MIN_WORK: '0' };
    const json = await kiln(['inspect', MODELS, '--fn', 'affine', '--json'], { ...env, KILN_THREADS: '2' });
    expectOk(json);
    const threads = (JSON.parse(json.stdout) as { wasm: { kernelThreads: { op: string; threads: number }[] } }).wasm
      .kernelThreads;
    expect(threads.length).toBeGreaterThan(0);
    expect(threads.every((x) => x.threads === 2)).toBe(true);
    const text = await kiln(['inspect', MODELS, '--fn', 'affine'], { ...env, KILN_THREADS: '2' });
    expect(text.stdout).toContain(
      `threads: ${threads.length} of ${threads.length} kernels split across 2 threads (#0 `,
    );
    const one = await kiln(['inspect', MODELS, '--fn', 'affine'], { ...env, KILN_THREADS: '1' });
    expect(one.stdout).toContain('threads: every kernel runs on the calling thread');
  }, 180_000); // its runs queue behind the ones the file starts up front
});

interface DotCounts {
  nodes: number;
  edges: number;
  clusters: number;
  tooltips: string[];
}

/** Counts node and edge statements in a parsed DOT file, clusters included. */
function countDot(dot: string): DotCounts {
  const counts: DotCounts = { nodes: 0, edges: 0, clusters: 0, tooltips: [] };
  const walk = (node: {
    type: string;
    children?: unknown[];
    targets?: unknown[];
    id?: { value: string };
    key?: { value: string };
    value?: { value: string };
  }): void => {
    if (node.type === 'Node') counts.nodes++;
    if (node.type === 'Edge') counts.edges += node.targets!.length - 1;
    if (node.type === 'Subgraph' && node.id?.value.startsWith('cluster')) counts.clusters++;
    if (node.type === 'Attribute' && node.key?.value === 'tooltip') counts.tooltips.push(node.value!.value);
    for (const child of node.children ?? []) walk(child as typeof node);
  };
  walk(parseDot(dot) as unknown as Parameters<typeof walk>[0]);
  return counts;
}

/** What the drawing must hold: params, nodes (fused bodies drawn in place), a result sink, update sinks. */
function expectedDot(graph: Graph): Omit<DotCounts, 'tooltips'> {
  const counts = {
    nodes: graph.params.length + 1 + graph.updates.length,
    edges: graph.results.length + graph.updates.length,
    clusters: 0,
  };
  const walk = (g: Graph): void =>
    g.nodes.forEach((n) => {
      if (n.body) {
        counts.clusters++;
        walk(n.body);
      } else {
        counts.nodes++;
        counts.edges += n.inputs.length;
      }
    });
  walk(graph);
  return counts;
}

describe('kiln graph', () => {
  it('draws the fused IR in DOT with a cluster per fused group and locations as tooltips', async () => {
    const run = await runs.dotFused;
    expectOk(run);
    const fused = stageGraph(stagesOfStep(), 'fused');
    const counts = countDot(run.stdout);
    expect(counts).toMatchObject(expectedDot(fused));
    expect(counts.clusters).toBe(fused.nodes.filter((n) => n.body).length);
    expect(counts.tooltips.filter((t) => t.includes(`${MODELS}:`)).length).toBeGreaterThan(counts.nodes / 2);
  });

  it('draws the traced IR of a JavaScript function', async () => {
    const run = await runs.dotTraced;
    expectOk(run);
    const traced = stageGraph(softSum.stages(), 'traced');
    expect(countDot(run.stdout)).toMatchObject({ ...expectedDot(traced), clusters: 0 });
  });

  it("renders a well-formed SVG through Graphviz's dot", async () => {
    const run = await runs.svg;
    expectOk(run);
    expect(XMLValidator.validate(run.stdout)).toBe(true);
    expect(run.stdout).toMatch(/<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(run.stdout).toContain('<title>step</title>');
    expect(run.stdout).toContain(`${MODELS}:`);
  });

  it('writes a PNG to -o, its format taken from the extension', async () => {
    expectOk(await runs.png);
    expect(readFileSync(join(tmp, 'affine.png')).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });

  it('says how to install Graphviz when dot is missing', async () => {
    expectUsageError(
      await runs.noDot,
      "kiln: --format svg needs Graphviz's 'dot' command, which is not installed: " +
        'install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format dot',
    );
  });
});

describe('bad input: one line on stderr, exit code 2', () => {
  it('a missing file', async () => {
    expectUsageError(await runs.missingFile, `kiln: no such file: ${FIXTURES}/missing.ts`);
  });

  it('a syntax error in the user file, with file:line:col', async () => {
    expectUsageError(await runs.syntaxError, `kiln: ${BROKEN}:3:34: syntax error: Expression expected.`);
  });

  it('no such function', async () => {
    expectUsageError(
      await runs.noSuchFunction,
      `kiln: no traced function 'nope' in ${MODELS}; traced functions: affine, step, meanOf`,
    );
  });

  it('bad --args syntax', async () => {
    expectUsageError(
      await runs.badArgs,
      "kiln: bad --args: 'f32[2,x]' is not a tensor type like f32[128,784] (dtypes f32, i32, bool; dimensions non-negative integers)",
    );
  });

  it('an unknown stage', async () => {
    expectUsageError(
      await runs.unknownStage,
      "kiln: unknown stage 'vectorize'; stages: traced, constantFold, simplify, cse, dce, fuse, planMemory, optimized, fused, planned, wat",
    );
  });

  it('neither an inputSignature nor --args', async () => {
    expectUsageError(
      await runs.noSignature,
      'kiln: meanOf has no inputSignature: give its argument types with --args, like --args "f32[32,784] i32[32]"',
    );
  });

  it('a @trace() method in the source without a live instance', async () => {
    expectUsageError(
      await runs.noInstance,
      `kiln: ${FIXTURES}/no-instance.ts:6: @trace() method Model.forward is in the source, ` +
        'but no instance of its class exists after loading the file; a traced method exists per instance, so create one when the module loads (export const model = new ...)',
    );
  });

  it('several traced functions and no --fn', async () => {
    expectUsageError(
      await runs.several,
      `kiln: ${MODELS} has 3 traced functions (affine, step, meanOf): choose one with --fn`,
    );
  });

  it('an unknown option', async () => {
    const run = await runs.unknownOption;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown option '--stag'");
  });
});

describe("the user's program failing: exit code 1 with its message and location", () => {
  it('throwing while the module loads', async () => {
    const run = await runs.throwsOnLoad;
    expect(run.code).toBe(1);
    const line = lineOf(readFileSync(join(ROOT, FIXTURES, 'throws-on-load.ts'), 'utf8'), 'LOC:load-throws');
    expect(run.stderr).toBe(
      `kiln: loading ${FIXTURES}/throws-on-load.ts failed: ${FIXTURES}/throws-on-load.ts:${line}:20: ` +
        'KilnShapeError: tensor: 3 values do not fit shape [2,2] (4 elements)\n',
    );
  });

  it('throwing while tracing', async () => {
    const run = await runs.throwsInTrace;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^kiln: tracing step failed: ${MODELS}:${lineOf(modelsSource, 'LOC:step-loss')}:\\d+: ` +
          'KilnShapeError: matmul: inner dimensions differ: f32\\[4,5\\], f32\\[16,3\\] gives 5 vs 16\\n$',
      ),
    );
  });
});

it('--help on a command prints its help and exits 0', async () => {
  const run = await runs.dumpHelp;
  expectOk(run);
  expect(run.stdout.startsWith('Usage: kiln dump [options] <file>\n')).toBe(true);
});
