/**
 * @file The browser page (examples/browser) in headless Chromium, driven by playwright-core: the
 * page is built from the packages' dist/ as users install them, served with COOP/COEP on
 * 127.0.0.1, trained with its Train button, and checked for accuracy, traced against eager (and a
 * plain-JavaScript reference) on a fixed batch, the IR panel at every stage, messages for bad
 * input, a Kiln error that names the page's line, and no console error. Screenshots and figures go
 * to test-artifacts/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildPage, OUT_DIR, type PageBuild } from '../../../examples/browser/build.ts';
import { startServer, type RunningServer } from '../../../examples/browser/serve.ts';

const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../../..');
const ARTIFACTS = join(ROOT, 'test-artifacts/browser');

let build: PageBuild;
let server: RunningServer;
let browser: Browser;

/** A fresh page on the served build that records every console error and uncaught exception. */
async function openPage(): Promise<{ page: Page; errors: string[]; bundleLoads: () => number }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  let loads = 0;
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`console.error: ${m.text()}`)));
  page.on('pageerror', (e) => void errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => void errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => void (r.url().endsWith('/main.js') && loads++));
  await page.goto(server.url);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
  return { page, errors, bundleLoads: () => loads };
}

const textOf = async (page: Page, id: string): Promise<string> => (await page.textContent(`#${id}`))?.trim() ?? '';
const numberOf = async (page: Page, id: string): Promise<number> => parseFloat(await textOf(page, id));

beforeAll(async () => {
  build = await buildPage();
  server = await startServer();
  // Root (as in CI) cannot use Chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the browser page', () => {
  it('bundles kiln-jit from dist/ with one copy of binaryen', () => {
    expect(build.inputs.filter((f) => f.endsWith('/binaryen/index.js'))).toHaveLength(1);
    const packageFiles = build.inputs.filter((f) => f.startsWith('packages/'));
    // Each runtime package's entry, bundled into one file by its build (scripts/bundle-dist.mjs).
    for (const pkg of ['core', 'tracer', 'codegen-wasm', 'kiln'])
      expect(packageFiles).toContain(`packages/${pkg}/dist/index.js`);
    expect(packageFiles.filter((f) => !/^packages\/[a-z-]+\/dist\//.test(f))).toEqual([]);
  });

  it('trains to ≥ 95% accuracy with a traced step; traced and eager losses agree', async () => {
    const { page, errors, bundleLoads } = await openPage();
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    // runtimeFeatures() from kiln-jit, as the page reports it.
    expect(await textOf(page, 'runtime')).toMatch(/^SIMD yes · .* · cross-origin isolated yes .* · threads \d+$/);
    await page.click('#train');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
    expect(await textOf(page, 'message')).toBe('');
    expect(await textOf(page, 'status')).toBe('done: 400 steps, traced 1 time');
    expect(await numberOf(page, 'accuracy')).toBeGreaterThanOrEqual(95);

    const fixedBatchLoss: Record<string, Record<string, number>> = {};
    for (const when of ['before', 'after']) {
      const [eager, traced, reference] = await Promise.all(
        ['eager', 'traced', 'reference'].map((how) => numberOf(page, `${when}-${how}`)),
      );
      fixedBatchLoss[when] = { eager: eager!, traced: traced!, reference: reference! };
      // Float32 kernels against each other and against float64 JavaScript, relative to the loss.
      expect(eager).toBeGreaterThan(0);
      expect(Math.abs(traced! - eager!)).toBeLessThanOrEqual(1e-5 * eager! + 1e-7);
      expect(Math.abs(eager! - reference!)).toBeLessThanOrEqual(1e-5 * reference! + 1e-7);
    }
    // Untrained, two balanced classes: about ln 2; trained: far below it.
    expect(fixedBatchLoss.before!.reference).toBeGreaterThan(0.5);
    expect(fixedBatchLoss.after!.reference).toBeLessThan(0.1);
    // The eager twin starts from the same weights: its loss at each step it took is the traced one.
    expect(await numberOf(page, 'twin-gap')).toBeLessThan(1e-3);

    const figures = {
      bundleBytes: build.bytes,
      firstTracedCallMs: await numberOf(page, 'first-call'),
      tracedStepMs: await numberOf(page, 'traced-ms'),
      eagerStepMs: await numberOf(page, 'eager-ms'),
      accuracyPercent: await numberOf(page, 'accuracy'),
      fixedBatchLoss,
    };
    expect(figures.tracedStepMs).toBeGreaterThan(0);
    expect(figures.eagerStepMs).toBeGreaterThan(0);
    writeFileSync(join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
    await page.screenshot({ path: join(ARTIFACTS, 'trained.png') });
    expect(bundleLoads()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('prints the training step at every stage in the IR panel', async () => {
    const { page, errors } = await openPage();
    await page.fill('#steps', '2');
    await page.click('#train');
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    const irAt = async (stage: string): Promise<string> => {
      await page.selectOption('#stage', stage);
      return textOf(page, 'ir');
    };
    const stages: Record<string, string> = {};
    for (const s of ['traced', 'optimized', 'fused', 'planned', 'wat']) stages[s] = await irAt(s);
    for (const s of ['traced', 'optimized', 'fused', 'planned']) {
      expect(stages[s]).toMatch(
        /^graph @trainStep\(%x\d*: f32\[200,2\], %y\d*: i32\[200\], %layer0_w: f32\[2,32\] var/,
      );
    }
    expect(stages.traced).toContain('= matmul ');
    expect(stages.optimized.split('\n').length).toBeLessThan(stages.traced.split('\n').length);
    expect(stages.fused).toContain('fused');
    expect(stages.planned).not.toBe(stages.fused);
    expect(stages.wat).toMatch(/^\(module/);
    expect(stages.wat).toContain('v128');
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('says what is wrong with bad input, on the page', async () => {
    const { page, errors } = await openPage();
    const tryTrain = async (field: string, value: string): Promise<string> => {
      await page.fill(`#${field}`, value);
      await page.click('#train');
      await page.waitForSelector('#message:not([hidden])');
      return textOf(page, 'message');
    };
    expect(await tryTrain('hidden', '0')).toBe('Hidden width: 0 is out of range; enter a whole number from 1 to 256.');
    expect(await page.getAttribute('#hidden', 'aria-invalid')).toBe('true');
    await page.fill('#hidden', '16');
    expect(await tryTrain('learningRate', 'fast')).toBe(
      "Learning rate: 'fast' is not a number; enter a number from 0.000001 to 1.",
    );
    expect(await tryTrain('steps', '2.5')).toBe(
      'Steps: 2.5 is not a whole number; enter a whole number from 1 to 5000.\n' +
        "Learning rate: 'fast' is not a number; enter a number from 0.000001 to 1.",
    );
    expect(await page.getAttribute('#steps', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#learningRate', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#hidden', 'aria-invalid')).toBeNull();
    expect(await page.isEnabled('#train')).toBe(true);
    expect(await page.getAttribute('body', 'data-state')).toBe('error');
    await page.screenshot({ path: join(ARTIFACTS, 'bad-input.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('splits a traced call across Web Workers: equal to eager, repeatable, 2 threads per kernel', async () => {
    const { page, errors } = await openPage();
    const infos: string[] = [];
    page.on('console', (m) => void (m.type() === 'info' && infos.push(m.text())));
    const check = await page.evaluate(async () => {
      const { threadCheck } = await import(new URL('main.js', document.baseURI).href);
      return (threadCheck as (n: number) => Promise<unknown>)(2);
    });
    expect(check).toEqual({ agrees: true, repeatable: true, kernels: [2, 2], workersStarted: 1, threadedCalls: 3 });
    expect(infos.filter((m) => m.startsWith('Kiln:'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("names the page's source line in a Kiln error raised by the page's code", async () => {
    const { page, errors, bundleLoads } = await openPage();
    // Settings the form refuses, given straight to the page's TrainingRun (as from the console).
    const thrown = await page.evaluate(async () => {
      const { TrainingRun } = await import(new URL('main.js', document.baseURI).href);
      try {
        new TrainingRun({ hidden: 2.5, steps: 1, learningRate: 0.1, seed: 0 });
        return null;
      } catch (e) {
        const { name, detail, location } = e as { name: string; detail: string; location: unknown };
        return { name, detail, location };
      }
    });
    expect(thrown).toMatchObject({ name: 'KilnArgumentError' });
    expect(thrown!.detail).toBe('randomUniform: shape [2,2.5] must be a list of non-negative integers');
    // The location is in the bundle; its source map leads to the call in examples/spirals.ts.
    const { file, line, column } = thrown!.location as { file: string; line: number; column: number };
    expect(file).toBe(new URL('main.js', server.url).href);
    const map = new SourceMap(JSON.parse(readFileSync(join(OUT_DIR, 'main.js.map'), 'utf8')) as SourceMapPayload);
    const entry = map.findEntry(line - 1, column - 1) as { originalSource: string; originalLine: number };
    expect(relative(ROOT, resolve(OUT_DIR, entry.originalSource))).toBe('examples/spirals.ts');
    const source = readFileSync(join(ROOT, 'examples/spirals.ts'), 'utf8').split('\n');
    expect(source[entry.originalLine]).toContain('glorotUniform([sizes[i]!, out]');
    expect(bundleLoads()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
