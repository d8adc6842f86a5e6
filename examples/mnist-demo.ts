/**
 * @file `pnpm mnist [--epochs N] [--eager]`: trains LeNet-5 on 8,000 real MNIST digits with a
 * traced Adam step and reports loss and held-out accuracy per epoch, with a progress bar.
 */
import { loadMnist, splitMnist, trainLeNet } from './mnist.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const epochs = Number(flag('--epochs') ?? 5);
const traced = !args.includes('--eager');

const { train, test } = splitMnist(loadMnist());
console.log(
  `LeNet-5 on MNIST: ${train.count} training digits, ${test.count} held out; ${traced ? 'traced (wasm)' : 'eager'}`,
);

const bar = (done: number, total: number, width = 30): string => {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

trainLeNet(train, test, {
  epochs,
  traced,
  onStep: (epoch, step, steps, loss) => {
    if (process.stdout.isTTY)
      process.stdout.write(`\repoch ${epoch}/${epochs} ${bar(step, steps)} ${step}/${steps} loss ${loss.toFixed(4)}`);
  },
  onEpoch: (r) =>
    console.log(
      `\repoch ${r.epoch}/${epochs}: mean loss ${r.loss.toFixed(4)}, held-out accuracy ` +
        `${(100 * r.accuracy).toFixed(2)}%, ${r.seconds.toFixed(1)} s${' '.repeat(20)}`,
    ),
});
