import { describe, expect, it } from '@jest/globals';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MODE_COLORS, renderChart } from '../src/chart.ts';
import { syntheticResults, WORKLOAD_TIMES } from './synthetic.ts';

interface SvgNode {
  [key: string]: unknown;
}

/** Every text content in the parsed document, depth first. */
function texts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as SvgNode).flatMap(([key, value]) =>
    key === 'text' ? [value].flat().map((t) => String((t as SvgNode)['#text'] ?? t)) : texts(value),
  );
}

describe('the SVG chart', () => {
  const results = syntheticResults();
  const svg = renderChart(results);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(svg) as { svg: SvgNode };

  it('is well-formed XML with an <svg> root in the SVG namespace and a size', () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(doc.svg['@xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(Number(doc.svg['@width'])).toBeGreaterThan(0);
    expect(Number(doc.svg['@height'])).toBeGreaterThan(0);
  });

  it('labels every workload, every mode in the legend, and both axes', () => {
    const labels = texts(doc.svg);
    for (const id of Object.keys(WORKLOAD_TIMES)) expect(labels).toContain(id);
    for (const mode of results.modes) expect(labels).toContain(mode);
    expect(labels).toContain('workload');
    expect(labels).toContain('median time per call (log scale; shorter is faster)');
    expect(labels).toEqual(expect.arrayContaining(['1.00 ms', '10.0 ms']));
  });

  it("draws one bar per measurement, in its mode's colour, longer for slower modes", () => {
    const bars = [
      svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="13" fill="(#\w+)"><title>([^<]+)<\/title>/g),
    ]
      .flatMap((m) => [...m])
      .map((m) => ({ width: Number(m[1]), color: m[2], title: m[3]! }));
    expect(bars).toHaveLength(results.measurements.length);
    const width = (label: string) => bars.find((b) => b.title.startsWith(label))!.width;
    expect(width('gelu · eager')).toBeGreaterThan(width('gelu · wasm'));
    expect(bars.find((b) => b.title.startsWith('gelu · wasm'))!.color).toBe(MODE_COLORS.wasm);
  });

  it('marks modes that did not run, and escapes text', () => {
    expect(svg).toContain('— tfjs-cpu');
    expect(svg).toContain('gelu &lt;&amp;&gt; title');
  });
});
