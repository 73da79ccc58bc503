/**
 * A bar chart (Apache ECharts, canvas, only the parts used), with the same figures as a table for
 * screen readers and for anyone who wants the numbers.
 */
import { BarChart as Bars } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

echarts.use([Bars, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface Series {
  name: string;
  values: number[];
  stack?: string;
}

export function BarChart({ label, categories, series, unit = '' }: { label: string; categories: string[]; series: Series[]; unit?: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    chart.setOption({
      // The tooltip as plain text: its HTML form would need inline styles the page's CSP refuses.
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 64 },
      xAxis: { type: 'category', data: categories, axisLabel: { interval: 0, rotate: categories.length > 4 ? 20 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: `{value}${unit}` } },
      series: series.map((s) => ({ type: 'bar', name: s.name, data: s.values, stack: s.stack })),
    });
    const resize = () => chart.resize();
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [JSON.stringify({ categories, series })]);
  return html`<figure>
    <figcaption>${label}</figcaption>
    <div class="chart" ref=${element} role="img" aria-label=${label}></div>
    <details><summary>${label} (table)</summary>
      <table><thead><tr><th></th>${series.map((s) => html`<th>${s.name}</th>`)}</tr></thead>
        <tbody>${categories.map((category, i) => html`<tr><th>${category}</th>${series.map((s) => html`<td>${s.values[i]}${unit}</td>`)}</tr>`)}</tbody></table>
    </details>
  </figure>`;
}
