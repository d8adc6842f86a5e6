/**
 * @file @kiln-jit/cli: the `kiln` command (see bin/kiln.mjs) and its parts, for tools and tests.
 */
export { main, buildProgram } from './main.ts';
export { findTracedFunctions, type TracedSource } from './source/find-traced.ts';
export { checkSyntax } from './source/project.ts';
export { parseArgSpecs } from './arg-specs.ts';
export {
  inspectReport,
  type InspectReport,
  type FusionGroup,
  type MemoryReport,
  type StageOps,
} from './inspect-report.ts';
export { graphToDot, type DotOptions } from './dot.ts';
export { renderDot, INSTALL_GRAPHVIZ } from './render.ts';
export { diffLines, type DiffLine } from './ir-diff.ts';
export { knownStages, checkStageName } from './stages.ts';
export { UsageError, ProgramError, EXIT_OK, EXIT_PROGRAM_FAILED, EXIT_USAGE } from './errors.ts';
