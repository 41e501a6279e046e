// The fleet table: one row per agent, updated in place as events arrive (no re-render of the
// table, so focus and scroll stay put); stale and errored agents stand out.

import { h, setText } from "../dom.js";
import { ago, dateTime, label, resources } from "../format.js";
import { healthBadge, statusBadge, updateBadge } from "./badges.js";

const COLUMNS = ["Agent", "Type", "Status", "Health", "Last heartbeat", "Resources"];

export function fleetTable(store) {
  const rows = new Map();
  const body = h("tbody");
  const summary = h("p", { class: "fleet-summary", id: "fleet-summary" });
  const table = h("table", { class: "fleet", "aria-describedby": "fleet-summary" },
    h("caption", { class: "visually-hidden" }, "Agents of this project, updated live"),
    h("colgroup", {}, COLUMNS.map((_, i) => h("col", { class: `col-${i}` }))),
    h("thead", {}, h("tr", {}, COLUMNS.map((name) => h("th", { scope: "col" }, name)))),
    body);
  const element = h("div", { class: "fleet-wrap" }, summary, table);

  let scheduled = false;
  const render = () => {
    scheduled = false;
    const agents = [...store.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    agents.forEach((agent, index) => {
      let row = rows.get(agent.id);
      if (!row) {
        row = newRow(agent, store.projectId);
        rows.set(agent.id, row);
      }
      updateRow(row, agent);
      if (body.children[index] !== row.element) body.insertBefore(row.element, body.children[index] ?? null);
    });
    setText(summary, summarize(agents));
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(render);
    }
  };
  store.addEventListener("agents", schedule);
  render();
  return { element, dispose: () => store.removeEventListener("agents", schedule) };
}

function newRow(agent, projectId) {
  const href = `#/projects/${encodeURIComponent(projectId)}/agents/${encodeURIComponent(agent.id)}`;
  const cells = {
    name: h("a", { href, class: "agent-link" }, agent.name),
    type: h("span"),
    status: statusBadge(agent.status),
    health: healthBadge(agent.health),
    heartbeat: h("time", { class: "ago" }),
    resources: h("span", { class: "resources" }),
  };
  const element = h("tr", { dataset: { agentId: agent.id } },
    h("th", { scope: "row", "data-label": "Agent" }, cells.name),
    h("td", { "data-label": "Type" }, cells.type),
    h("td", { "data-label": "Status" }, cells.status),
    h("td", { "data-label": "Health" }, cells.health),
    h("td", { "data-label": "Last heartbeat" }, cells.heartbeat),
    h("td", { "data-label": "Resources" }, cells.resources));
  return { element, cells };
}

function updateRow({ element, cells }, agent) {
  setText(cells.name, agent.name);
  setText(cells.type, agent.agentType?.name ?? "—");
  cells.type.title = cells.type.textContent; // the column may cut it short
  updateBadge(cells.status, "status", agent.status);
  updateBadge(cells.health, "health", agent.health);
  const beat = agent.lastHeartbeatAt ?? "";
  if (cells.heartbeat.dataset.ago !== beat) {
    cells.heartbeat.dataset.ago = beat;
    if (beat) cells.heartbeat.setAttribute("datetime", beat);
    cells.heartbeat.title = beat ? dateTime(beat) : "No heartbeat yet";
  }
  setText(cells.heartbeat, ago(agent.lastHeartbeatAt));
  setText(cells.resources, resources(agent.state?.resourceUsage));
  cells.resources.title = cells.resources.textContent;
  element.dataset.status = agent.status;
  element.dataset.health = agent.health;
  element.classList.toggle("is-error", agent.status === "ERROR");
  element.classList.toggle("is-stale", agent.health === "STALE");
  element.classList.toggle("is-terminated", agent.status === "TERMINATED");
}

function summarize(agents) {
  const counts = new Map();
  for (const agent of agents) counts.set(agent.status, (counts.get(agent.status) ?? 0) + 1);
  const stale = agents.filter((agent) => agent.health === "STALE").length;
  const parts = [`${agents.length} ${agents.length === 1 ? "agent" : "agents"}`];
  for (const [status, count] of [...counts].sort()) parts.push(`${count} ${label(status).toLowerCase()}`);
  if (stale) parts.push(`${stale} stale`);
  return parts.join(" · ");
}
