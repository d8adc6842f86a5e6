/**
 * @file The page: reads the form, trains the spirals MLP with a traced step a few steps per frame
 * (so the page stays live), redraws the boundary and the loss curve, shows traced and eager time
 * per step, prints the IR at the chosen stage, and turns any failure into a message on the page.
 * It exports TrainingRun so the console (`const { TrainingRun } = await import('./main.js')`) can
 * start runs with settings the form refuses and see Kiln's own errors, with the page's line,
 * and threadCheck, which runs one call big enough to split across Kiln's Web Workers.
 */
import * as k from 'kiln-jit';
import { runtimeFeatures } from 'kiln-jit';
import { drawBoundary, drawLossCurve, EXTENT } from './plots.ts';
import { IR_STAGES, TrainingRun, type IrStage } from './session.ts';
import { parseSettings, SettingsError, type Settings } from './settings.ts';

/** Traced steps between two frames; one eager twin step is timed per frame. */
const STEPS_PER_FRAME = 10;
const GRID = 64;

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page: no element #${id}`);
  return el as T;
};
const text = (id: string, value: string): void => void (byId(id).textContent = value);
const ms = (x: number): string => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(0)) + ' ms' : '–');

const FIELDS: readonly (keyof Settings)[] = ['hidden', 'steps', 'learningRate', 'seed'];
const trainButton = byId<HTMLButtonElement>('train');
const stageSelect = byId<HTMLSelectElement>('stage');
let run: TrainingRun | null = null;

function showMessage(message: string): void {
  const box = byId('message');
  box.textContent = message;
  box.hidden = message === '';
}

function readSettings(): Settings {
  for (const f of FIELDS) byId(f).removeAttribute('aria-invalid');
  try {
    const texts = Object.fromEntries(FIELDS.map((f) => [f, byId<HTMLInputElement>(f).value]));
    return parseSettings(texts as Record<keyof Settings, string>);
  } catch (e) {
    if (e instanceof SettingsError) for (const f of e.fields) byId(f).setAttribute('aria-invalid', 'true');
    throw e;
  }
}

function showTiming(r: TrainingRun): void {
  const t = r.timing();
  text('first-call', ms(t.firstMs));
  text('traced-ms', ms(t.tracedMs));
  text('eager-ms', ms(t.eagerMs));
  text('speedup', Number.isFinite(t.eagerMs / t.tracedMs) ? `${(t.eagerMs / t.tracedMs).toFixed(1)}×` : '–');
  text('twin-gap', r.eagerLosses.length ? r.twinLossGap().toExponential(2) : '–');
}

function showProgress(r: TrainingRun): void {
  text('step', `${r.stepsDone} / ${r.settings.steps}`);
  text('loss', r.losses.at(-1)!.toFixed(4));
  text('accuracy', `${(100 * r.accuracy()).toFixed(1)}%`);
  drawBoundary(byId('boundary'), r.boundary(GRID, EXTENT), GRID, r.data);
  drawLossCurve(byId('loss-curve'), r.losses, r.settings.steps);
  showTiming(r);
}

function showIr(): void {
  byId('ir').textContent = run && run.stepsDone > 0 ? run.ir(stageSelect.value as IrStage) : 'Train to see the IR.';
}

/** Fills one column (`before` or `after` training) of the fixed-batch table. */
function showFixedBatchCheck(r: TrainingRun, when: 'before' | 'after'): void {
  const c = r.checkFixedBatch();
  text(`${when}-eager`, c.eager.toPrecision(7));
  text(`${when}-traced`, c.traced.toPrecision(7));
  text(`${when}-reference`, c.reference.toPrecision(7));
}

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

async function train(): Promise<void> {
  const settings = readSettings();
  const r = (run = new TrainingRun(settings));
  document.body.dataset.state = 'training';
  text('status', 'training…');
  showFixedBatchCheck(r, 'before');
  while (r.stepsDone < settings.steps) {
    const end = Math.min(settings.steps, r.stepsDone + STEPS_PER_FRAME);
    while (r.stepsDone < end) r.tracedStep();
    r.eagerTwinStep();
    showProgress(r);
    await nextFrame();
  }
  showFixedBatchCheck(r, 'after');
  showIr();
  text('status', `done: ${settings.steps} steps, traced ${r.step.tracingCount} time`);
  document.body.dataset.state = 'done';
}

trainButton.addEventListener('click', () => {
  showMessage('');
  trainButton.disabled = true;
  train()
    .catch((e: unknown) => {
      document.body.dataset.state = 'error';
      text('status', 'stopped');
      showMessage(e instanceof Error ? e.message : String(e));
    })
    .finally(() => (trainButton.disabled = false));
});
stageSelect.append(...IR_STAGES.map((s) => new Option(s, s, s === 'optimized', s === 'optimized')));
stageSelect.addEventListener('change', () => {
  try {
    showIr();
  } catch (e) {
    showMessage(e instanceof Error ? e.message : String(e));
  }
});

const features = runtimeFeatures();
text(
  'runtime',
  `SIMD ${features.simd ? 'yes' : 'no'} · relaxed SIMD ${features.relaxedSimd ? 'yes' : 'no'} · ` +
    `cross-origin isolated ${globalThis.crossOriginIsolated ? 'yes (threads possible)' : 'no (single-threaded)'} · ` +
    `threads ${k.getNumThreads()}`,
);
showIr();
trainButton.disabled = false;
document.body.dataset.state = 'ready';

/**
 * A 256×256 matmul and row softmax traced on `threads` threads, checked against eager. Web
 * Workers start in the background (the page's thread cannot wait for them), so calls run on one
 * thread until they are up: this waits for the first threaded call, then checks three more.
 */
async function threadCheck(threads = 2) {
  k.setNumThreads(threads);
  const f = k.trace((x: k.Tensor, w: k.Tensor) => k.softmax(k.matmul(x, w), -1));
  const x = k.randomNormal([256, 256], { seed: 1 });
  const w = k.randomNormal([256, 256], { seed: 2 });
  const want = k.softmax(k.matmul(x, w), -1).dataSync();
  const threaded = () => k.compileStats().threads.threadedCalls;
  for (let tries = 0; threaded() === 0 && tries < 1200; tries++) {
    f(x, w);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const before = threaded();
  const runs = [0, 1, 2].map(() => f(x, w).dataSync());
  return {
    agrees: runs[0]!.every((v, i) => Math.abs(v - want[i]!) <= 2e-5 + 2e-4 * Math.abs(want[i]!)),
    repeatable: runs.every((r) => r.every((v, i) => v === runs[0]![i])),
    kernels: f.inspect(x, w).kernels.map((kernel) => kernel.threads),
    workersStarted: k.compileStats().threads.workersStarted,
    threadedCalls: threaded() - before,
  };
}

export { TrainingRun, threadCheck };
