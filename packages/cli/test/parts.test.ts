/**
 * The CLI's parts in-process: --args parsing, the stage diff, colors, tables, stage names, the
 * DOT writer on a hand-built graph, and each command's help.
 */
import { describe, expect, it } from '@jest/globals';
import { GraphBuilder } from 'kiln-jit';
import { buildProgram, checkStageName, diffLines, graphToDot, parseArgSpecs, UsageError } from '../src/index.ts';
import { colorsFor } from '../src/output.ts';
import { formatTable } from '../src/table.ts';

describe('parseArgSpecs', () => {
  it('reads types as the IR prints them, spaces inside brackets allowed', () => {
    expect(parseArgSpecs('f32[128,784] i32[128]  bool[] f32[2, 3]')).toEqual([
      { dtype: 'f32', shape: [128, 784] },
      { dtype: 'i32', shape: [128] },
      { dtype: 'bool', shape: [] },
      { dtype: 'f32', shape: [2, 3] },
    ]);
  });

  it.each([
    ['f64[2]', "bad --args: 'f64[2]' is not a tensor type"],
    ['f32[2', "bad --args: 'f32[2' is not a tensor type"],
    ['f32[-1]', "bad --args: 'f32[-1]' is not a tensor type"],
    ['  ', "bad --args '  ': give one tensor type per argument"],
  ])('rejects %j', (text, message) => {
    expect(() => parseArgSpecs(text)).toThrow(UsageError);
    expect(() => parseArgSpecs(text)).toThrow(message);
  });
});

describe('diffLines', () => {
  it('ignores renumbering and marks removed and added lines', () => {
    const before = ['%0: f32[4] = exp %x', '%1: f32[4] = neg %x', '%2: f32[4] = relu %0', 'return %2'];
    const after = ['%0: f32[4] = exp %x', '%1: f32[4] = relu %0', '%2: f32[4] = neg %1', 'return %2'];
    expect(diffLines(before, after).map((l) => `${l.mark}${l.text}`)).toEqual([
      ' %0: f32[4] = exp %x',
      '-%1: f32[4] = neg %x',
      ' %1: f32[4] = relu %0',
      '+%2: f32[4] = neg %1',
      ' return %2',
    ]);
  });
});

describe('output', () => {
  it('colors only on a terminal, and never with NO_COLOR', () => {
    expect(colorsFor({ isTTY: true }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(colorsFor({ isTTY: false }, {}).red('x')).toBe('x');
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
  });

  it('tables pad text left and numbers right', () => {
    expect(
      formatTable(
        ['op', 'count'],
        [
          ['add', '3'],
          ['matmul', '12'],
        ],
        colorsFor({}),
      ),
    ).toBe('op      count\nadd         3\nmatmul     12');
  });
});

describe('stage names', () => {
  it('accepts traced, every pass, the aliases and wat', () => {
    for (const s of [
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
      'wat',
    ]) {
      expect(() => checkStageName(s)).not.toThrow();
    }
  });

  it('refuses unknown names, and text stages where a graph is needed', () => {
    expect(() => checkStageName('jit')).toThrow("unknown stage 'jit'; stages: traced, constantFold");
    expect(() => checkStageName('wat', { allowText: false })).toThrow("stage 'wat' is backend text, not an IR graph");
  });
});

describe('graphToDot', () => {
  it('draws params, nodes, a fused cluster, the result and updates, with edges at the top level', () => {
    const body = new GraphBuilder('body');
    const a = body.addParam('in0', 'arg', { shape: [4], dtype: 'f32' });
    body.results = [body.addNode('relu', [a.value], {}, { shape: [4], dtype: 'f32' })];
    const g = new GraphBuilder('g');
    const x = g.addParam('x', 'arg', { shape: [4], dtype: 'f32' });
    const v = g.addParam('v', 'var', { shape: [4], dtype: 'f32' });
    const sum = g.addNode(
      'add',
      [x.value, v.value],
      {},
      { shape: [4], dtype: 'f32' },
      { file: '/src/model.ts', line: 7, column: 3 },
    );
    const fused = g.addNode('fused.elementwise', [sum], {}, { shape: [4], dtype: 'f32' }, null, body.build());
    g.results = [fused];
    g.updates = [{ target: v, value: fused }];
    expect(graphToDot(g.build(), { locRelativeTo: '/src' })).toBe(
      [
        'digraph "g" {',
        '  graph [label="@g", labelloc="t", rankdir="TB", fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize="10"];',
        '  edge [arrowsize="0.6"];',
        '  p_x [label="%x\\nf32[4]", tooltip="%x: f32[4]", shape="ellipse", style="filled", fillcolor="#dbeafe"];',
        '  p_v [label="%v\\nf32[4] var", tooltip="%v: f32[4] var", shape="ellipse", style="filled", fillcolor="#fef3c7"];',
        '  n0 [label="%0 = add\\nf32[4]", tooltip="%0 = add\\nmodel.ts:7", shape="box"];',
        '  subgraph cluster_0 {',
        '    graph [label="%1 = fused.elementwise\\nf32[4]", tooltip="%1 = fused.elementwise", style="rounded,filled", fillcolor="#e2f0cb"];',
        '    n1_n0 [label="%t0 = relu\\nf32[4]", tooltip="%t0 = relu", shape="box"];',
        '  }',
        '  result [label="return (1)", shape="doublecircle"];',
        '  update0 [label="update %v", shape="cds", style="filled", fillcolor="#fef3c7"];',
        '  p_x -> n0;',
        '  p_v -> n0;',
        '  n0 -> n1_n0;',
        '  n1_n0 -> result;',
        '  n1_n0 -> update0;',
        '}',
        '',
      ].join('\n'),
    );
  });
});

describe('help', () => {
  it('kiln --help lists the commands', () => {
    const help = buildProgram().helpInformation();
    for (const command of ['list', 'dump', 'inspect', 'graph'])
      expect(help).toMatch(new RegExp(`^  ${command} \\[options\\] <file>`, 'm'));
  });

  it.each([
    ['list', ['<file>', '--json']],
    ['dump', ['--fn <name>', '--args <types>', '--stage <stage>', '--all-stages', '--loc', '--json', 'Examples:']],
    ['inspect', ['--fn <name>', '--args <types>', '--json']],
    [
      'graph',
      ['--fn <name>', '--stage <stage>', '--format <format>', '-o, --output <file>', 'apt-get install graphviz'],
    ],
  ])('kiln %s --help describes its options', (name, options) => {
    const command = buildProgram().commands.find((c) => c.name() === name)!;
    let help = '';
    command.configureOutput({ writeOut: (s) => (help += s) }).outputHelp();
    for (const option of options) expect(help).toContain(option);
  });
});
