// A chosen metric of one agent over a chosen range, from metricSeries, drawn as a line chart.

import { h, uniqueId } from "../dom.js";
import { describe } from "../errors.js";
import { dateTime, number } from "../format.js";
import { METRIC_SERIES } from "../queries.js";
import { lineChart } from "./chart.js";

const RANGES = [
  { value: "3600", text: "Last hour", bucket: 60 },
  { value: "86400", text: "Last 24 hours", bucket: 900 },
  { value: "604800", text: "Last 7 days", bucket: 7200 },
];

/** metrics: [{name, unit}] (distinct names are taken from it). */
export function metricsPanel(api, agentId, metrics) {
  const units = new Map(metrics.map((m) => [m.name, m.unit]));
  const names = [...units.keys()].sort();
  const nameId = uniqueId("metric");
  const rangeId = uniqueId("range");
  const metric = h("select", { id: nameId }, names.map((name) => h("option", { value: name }, name)));
  const range = h("select", { id: rangeId }, RANGES.map((r) => h("option", { value: r.value }, r.text)));
  range.value = "86400";
  const figure = h("figure", { class: "chart-box", "aria-live": "polite" });
  const element = h("section", { class: "panel metrics", "aria-labelledby": "metrics-heading" },
    h("h2", { id: "metrics-heading" }, "Metrics"),
    names.length === 0
      ? h("p", { class: "muted" }, "This agent has recorded no metrics.")
      : [h("div", { class: "controls" },
          h("label", { for: nameId }, "Metric"), metric,
          h("label", { for: rangeId }, "Range"), range),
        figure]);

  let request = 0;
  let shown = null; // the chart's data, to draw it again when its width changes
  let drawnWidth = 0;
  const resized = new ResizeObserver(() => {
    const width = figure.clientWidth;
    if (!shown || Math.abs(width - drawnWidth) < 24) return;
    drawnWidth = width;
    figure.querySelector("svg.chart")?.replaceWith(lineChart(shown.points, { ...shown, width }));
  });
  resized.observe(figure);
  const draw = async () => {
    const name = metric.value;
    const { bucket } = RANGES.find((r) => r.value === range.value);
    const until = new Date();
    const since = new Date(until.getTime() - Number(range.value) * 1000);
    const mine = (request += 1);
    figure.setAttribute("aria-busy", "true");
    try {
      const data = await api.request(METRIC_SERIES, { id: agentId, name, since: since.toISOString(), bucket });
      if (mine !== request) return;
      const { metricSeries, metricSummary: s } = data.agent;
      const unit = units.get(name) ?? "";
      shown = { points: metricSeries, domain: [since, until], name, unit };
      drawnWidth = figure.clientWidth;
      figure.replaceChildren(
        lineChart(metricSeries, { ...shown, width: figure.clientWidth }),
        h("figcaption", {},
          s.count === 0 ? "No points in this range." :
            `${s.count} ${s.count === 1 ? "point" : "points"} · min ${number(s.min)} · max ${number(s.max)} · latest ${number(s.last)}${unit ? ` ${unit}` : ""} at ${dateTime(s.lastAt)}`));
    } catch (error) {
      if (mine === request) figure.replaceChildren(h("p", { class: "form-error", role: "alert" }, describe(error)));
    } finally {
      if (mine === request) figure.removeAttribute("aria-busy");
    }
  };
  metric.addEventListener("change", draw);
  range.addEventListener("change", draw);
  if (names.length) draw();
  return { element, dispose: () => resized.disconnect() };
}
