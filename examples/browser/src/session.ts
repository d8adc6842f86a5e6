/**
 * @file One training run on the page: the spirals, a traced training step, an eager twin of it
 * (same initial weights, same data) that is stepped now and then for timing, a traced predictor
 * for the decision boundary, and the end-of-run check of traced against eager on a fixed batch.
 */
import { softmax, tensor, trace, type Tensor, type Traced } from 'kiln-jit';
import {
  accuracy,
  initMlp,
  makeSpirals,
  makeTrainStep,
  mlpForward,
  mlpLoss,
  type Layer,
  type Spirals,
} from '../../spirals.ts';
import { referenceLoss } from './reference-loss.ts';
import type { Settings } from './settings.ts';

type Step = (x: Tensor, y: Tensor) => Tensor;

/** The stages the IR panel can print, in pipeline order. */
export const IR_STAGES = ['traced', 'optimized', 'fused', 'planned', 'wat'] as const;
export type IrStage = (typeof IR_STAGES)[number];

/** Losses of the trained model on a fixed batch, computed three ways. */
export interface BatchCheck {
  eager: number;
  traced: number;
  /** Plain JavaScript, float64. */
  reference: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

export class TrainingRun {
  readonly data: Spirals = makeSpirals({ pointsPerClass: 100, turns: 2, noise: 0.03, seed: 0 });
  /** A batch the model never trains on: the same spirals drawn with other noise. */
  readonly fixedBatch: Spirals = makeSpirals({ pointsPerClass: 32, turns: 2, noise: 0.03, seed: 7 });
  readonly layers: Layer[];
  readonly step: Traced<Step>;
  readonly predict: Traced<(grid: Tensor) => Tensor>;
  private readonly fixedBatchLoss: Traced<Step>;
  readonly losses: number[] = [];
  /** Milliseconds per traced call; the first includes tracing, the passes and the Wasm compile. */
  readonly tracedMs: number[] = [];
  readonly eagerMs: number[] = [];
  /** The eager twin's loss at each of its steps; it should equal the traced run's at that step. */
  readonly eagerLosses: number[] = [];
  private readonly eagerStep: Step;

  constructor(readonly settings: Settings) {
    const sizes = [2, settings.hidden, settings.hidden, 2];
    const options = { learningRate: settings.learningRate };
    this.layers = initMlp(sizes, settings.seed);
    this.step = trace(makeTrainStep(this.layers, options), { name: 'trainStep' });
    this.eagerStep = makeTrainStep(initMlp(sizes, settings.seed), options);
    this.predict = trace((grid: Tensor) => softmax(mlpForward(this.layers, grid), -1), { name: 'predict' });
    this.fixedBatchLoss = trace((x: Tensor, y: Tensor) => mlpLoss(this.layers, x, y), { name: 'fixedBatchLoss' });
  }

  get stepsDone(): number {
    return this.losses.length;
  }

  /** Runs one traced training step (timed) and returns its loss. */
  tracedStep(): number {
    const t0 = performance.now();
    const loss = this.step(this.data.x, this.data.y).item() as number;
    this.tracedMs.push(performance.now() - t0);
    this.losses.push(loss);
    return loss;
  }

  /** Runs the eager twin's next step (timed). */
  eagerTwinStep(): void {
    const t0 = performance.now();
    const loss = this.eagerStep(this.data.x, this.data.y).item() as number;
    this.eagerMs.push(performance.now() - t0);
    this.eagerLosses.push(loss);
  }

  accuracy(): number {
    return accuracy(this.layers, this.data);
  }

  /** Probability of class 1 at each point of an n×n grid over [-extent, extent]², row by row from the top. */
  boundary(n: number, extent: number): Float32Array {
    const points: number[] = [];
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        points.push(extent * ((2 * col + 1) / n - 1), extent * (1 - (2 * row + 1) / n));
      }
    }
    const probs = this.predict(tensor(points, [n * n, 2])).dataSync();
    return Float32Array.from({ length: n * n }, (_, i) => probs[2 * i + 1]!);
  }

  timing(): { firstMs: number; tracedMs: number; eagerMs: number } {
    // The first eager call warms up the JavaScript engine; neither first call is steady state.
    return {
      firstMs: this.tracedMs[0] ?? NaN,
      tracedMs: median(this.tracedMs.slice(1)),
      eagerMs: median(this.eagerMs.slice(1)),
    };
  }

  /** Largest |traced − eager| loss over the steps both runs took. */
  twinLossGap(): number {
    return this.eagerLosses.reduce((gap, e, i) => Math.max(gap, Math.abs(e - this.losses[i]!)), 0);
  }

  /** The model's current loss on the fixed batch: eager, traced (Wasm) and plain JavaScript. */
  checkFixedBatch(): BatchCheck {
    const { x, y } = this.fixedBatch;
    return {
      eager: mlpLoss(this.layers, x, y).item() as number,
      traced: this.fixedBatchLoss(x, y).item() as number,
      reference: referenceLoss(this.layers, x, y),
    };
  }

  /** The training step's IR at `stage` (it is traced already once a step has run). */
  ir(stage: IrStage): string {
    return this.step.ir(this.data.x, this.data.y, { stage });
  }
}
