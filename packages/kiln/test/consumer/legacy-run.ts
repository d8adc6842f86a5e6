// Runs the user's Classifier compiled with `experimentalDecorators: true`: @trace() still traces.
import { asTraced } from 'kiln-jit';
import { tensor, randomNormal } from 'kiln-jit';
import { model } from './app.js';

const x = randomNormal([8, 4], { seed: 9 });
const y = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]));
const losses = Array.from({ length: 3 }, () => model.step(x, y).item());
console.log(JSON.stringify({ losses, tracingCount: asTraced(model.step).tracingCount }));
