/**
 * @file Registers the standard passes and the default pipeline: clean up the traced graph, then
 * fuse, then plan memory. Each pass is a pure function Graph -> Graph in a file of its own.
 */
import { DEFAULT_PASSES, registerPass } from './manager.ts';
import { constantFold } from './constant-fold.ts';
import { simplify } from './simplify.ts';
import { cse } from './cse.ts';
import { dce } from './dce.ts';
import { fuse } from './fuse.ts';
import { planMemory } from './memory-plan.ts';

registerPass('constantFold', constantFold);
registerPass('simplify', simplify);
registerPass('cse', cse);
registerPass('dce', dce);
registerPass('fuse', fuse, { before: 'optimized', after: 'fused' });
registerPass('planMemory', planMemory, { after: 'planned' });

DEFAULT_PASSES.push('constantFold', 'simplify', 'cse', 'dce', 'fuse', 'planMemory');

export { constantFold, FOLD_LIMIT } from './constant-fold.ts';
export { simplify, SIMPLIFY_RULES } from './simplify.ts';
/** The rewrite-rule matcher (patterns, rules, applyRules), for passes written as rule tables. */
export * as patterns from './patterns.ts';
export { cse } from './cse.ts';
export { dce } from './dce.ts';
export { fuse, kernelCount } from './fuse.ts';
export { verifiesEachPass } from './manager.ts';
export { rewriteNodes, toFixpoint, type NodeRewrite, type RewriteContext } from './rewrite.ts';
export {
  planMemory,
  memoryPlanOf,
  defaultMemoryPolicy,
  sameShapeInputs,
  ALIGNMENT,
  type MemoryPlan,
  type MemoryPolicy,
  type PlannedBuffer,
  type Slot,
} from './memory-plan.ts';
