// A line chart of one metric's buckets, drawn as SVG (no library): axes, grid, line and points.

import { h } from "../dom.js";
import { dateTime, number, shortTime } from "../format.js";

// Drawn at the width it is shown at, so its text keeps its size on a phone.
const HEIGHT = 220;
const MARGIN = { top: 14, right: 16, bottom: 30, left: 64 };

/**
 * points: [{bucket, value, count}] from metricSeries; domain: [since, until] as Date; width:
 * the width it will be shown at, in CSS pixels.
 */
export function lineChart(points, { domain, name, unit, width = 640 }) {
  const WIDTH = Math.max(300, Math.round(width));
  const values = points.filter((p) => p.value !== null);
  const title = `${name}${unit ? ` (${unit})` : ""}`;
  const svg = h("svg:svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img",
    "aria-label": summary(title, values),
  });
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const [start, end] = domain.map((date) => date.getTime());
  const x = (iso) => MARGIN.left + ((Date.parse(iso) - start) / Math.max(1, end - start)) * innerWidth;
  let [low, high] = extent(values.map((p) => p.value));
  if (low === high) [low, high] = [low - Math.max(1, Math.abs(low) * 0.1), high + Math.max(1, Math.abs(high) * 0.1)];
  const y = (value) => MARGIN.top + (1 - (value - low) / (high - low)) * innerHeight;

  for (let i = 0; i <= 4; i += 1) {
    const value = low + ((high - low) * i) / 4;
    svg.append(
      h("svg:line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }),
      h("svg:text", { class: "tick", x: MARGIN.left - 8, y: y(value) + 4, "text-anchor": "end" }, number(value)));
  }
  const ticks = WIDTH < 480 ? [[0, "start"], [1, "end"]] : [[0, "start"], [0.5, "middle"], [1, "end"]];
  for (const [fraction, anchor] of ticks) {
    const at = new Date(start + (end - start) * fraction).toISOString();
    svg.append(h("svg:text", { class: "tick", x: MARGIN.left + innerWidth * fraction, y: HEIGHT - 8, "text-anchor": anchor },
      shortTime(at, end - start >= 86_400_000)));
  }
  svg.append(h("svg:line", { class: "axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + innerHeight }));
  if (values.length === 0) {
    svg.append(h("svg:text", { class: "empty", x: MARGIN.left + innerWidth / 2, y: MARGIN.top + innerHeight / 2, "text-anchor": "middle" },
      "No points in this range"));
    return svg;
  }
  const sorted = [...values].sort((a, b) => a.bucket.localeCompare(b.bucket));
  svg.append(h("svg:polyline", { class: "line", points: sorted.map((p) => `${x(p.bucket).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ") }));
  for (const point of sorted) {
    svg.append(h("svg:circle", { class: "point", cx: x(point.bucket).toFixed(1), cy: y(point.value).toFixed(1), r: 3.5 },
      h("svg:title", {}, `${number(point.value)}${unit ? ` ${unit}` : ""} at ${dateTime(point.bucket)} (${point.count} points)`)));
  }
  return svg;
}

function extent(values) {
  return values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
}

function summary(title, values) {
  if (values.length === 0) return `${title}: no points in this range`;
  const numbers = values.map((p) => p.value);
  return `${title}: ${values.length} buckets, from ${number(Math.min(...numbers))} to ${number(Math.max(...numbers))}`;
}
