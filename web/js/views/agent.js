// One agent in detail: live header and lifecycle buttons, state, configs, capabilities,
// status history, a metric chart, executions, and the approvals waiting on it.

import { h, setText } from "../dom.js";
import { describe } from "../errors.js";
import { ago, dateTime, json, label, number, resources } from "../format.js";
import { AGENT_DETAIL } from "../queries.js";
import { approvalsPanel } from "./approvals.js";
import { healthBadge, statusBadge, updateBadge } from "./badges.js";
import { capabilitiesTable, configsTable } from "./configs.js";
import { executionsPanel } from "./executions.js";
import { historyPanel } from "./history.js";
import { lifecycleControls } from "./lifecycle.js";
import { metricsPanel } from "./metrics.js";

export function renderAgent(main, { api, store, agentId, projectId }) {
  const back = h("a", { href: `#/projects/${encodeURIComponent(projectId)}`, class: "back" }, "← Fleet");
  const page = h("div", { class: "agent-page", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  main.replaceChildren(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, back), page);
  const parts = [];
  let alive = true;

  api.request(AGENT_DETAIL, { id: agentId }).then((data) => {
    if (!alive) return;
    const agent = data.agent;
    store.upsertAgent(agent);
    const header = agentHeader(store, agentId);
    const lifecycle = lifecycleControls(store, api, agentId);
    const history = historyPanel(store, api, agentId);
    const executions = executionsPanel(store, api, agentId);
    const approvals = approvalsPanel(store, api, { agentId });
    const metrics = metricsPanel(api, agentId, agent.metrics.edges.map((edge) => edge.node));
    parts.push(header, lifecycle, history, executions, approvals, metrics);
    page.removeAttribute("aria-busy");
    page.replaceChildren(
      h("header", { class: "agent-header panel" }, header.element, lifecycle.element),
      approvals.element,
      h("div", { class: "agent-grid" },
        h("section", { class: "panel", "aria-labelledby": "state-heading" },
          h("h2", { id: "state-heading" }, "State"), stateFacts(agent)),
        h("section", { class: "panel", "aria-labelledby": "configs-heading" },
          h("h2", { id: "configs-heading" }, "Configs"), h("div", { class: "table-scroll" }, configsTable(agent.configs))),
        h("section", { class: "panel", "aria-labelledby": "capabilities-heading" },
          h("h2", { id: "capabilities-heading" }, "Capabilities"), h("div", { class: "table-scroll" }, capabilitiesTable(agent.capabilities))),
        history.element),
      metrics.element,
      executions.element);
    document.title = `${agent.name} · Agentgraph`;
    page.querySelector("h1").focus();
  }).catch((error) => {
    if (!alive) return;
    page.removeAttribute("aria-busy");
    page.replaceChildren(h("p", { class: "form-error", role: "alert" }, describe(error)));
  });

  return () => {
    alive = false;
    for (const part of parts) part.dispose();
  };
}

// Name, badges and the live numbers of the agent, updated from the store.
function agentHeader(store, agentId) {
  const agent = store.agents.get(agentId);
  const cells = {
    status: statusBadge(agent.status),
    health: healthBadge(agent.health),
    heartbeat: h("time", { class: "ago" }),
    revision: h("span", { class: "num" }),
    resources: h("span", { class: "resources" }),
  };
  const element = h("div", { class: "identity" },
    h("h1", { tabindex: "-1" }, agent.name),
    h("p", { class: "badges" }, cells.status, " ", cells.health),
    h("dl", { class: "facts" },
      fact("Type", agent.agentType?.name ?? "—"),
      fact("Last heartbeat", cells.heartbeat),
      fact("Resources", cells.resources),
      fact("Version", agent.version),
      fact("Safety level", label(agent.safetyLevel)),
      fact("Revision", cells.revision),
      fact("Tasks completed", number(agent.tasksCompleted)),
      fact("Tokens used", number(agent.tokensUsed)),
      fact("Cost", number(agent.costIncurred))));
  const update = () => {
    const now = store.agents.get(agentId);
    if (!now) return;
    updateBadge(cells.status, "status", now.status);
    updateBadge(cells.health, "health", now.health);
    cells.heartbeat.dataset.ago = now.lastHeartbeatAt ?? "";
    cells.heartbeat.title = dateTime(now.lastHeartbeatAt);
    setText(cells.heartbeat, ago(now.lastHeartbeatAt));
    setText(cells.revision, now.revision);
    setText(cells.resources, resources(now.state?.resourceUsage));
    element.closest(".agent-header")?.classList.toggle("is-error", now.status === "ERROR");
  };
  store.addEventListener("agents", update);
  update();
  return { element, dispose: () => store.removeEventListener("agents", update) };
}

function stateFacts(agent) {
  const state = agent.state;
  return h("dl", { class: "facts state" },
    fact("Current workflow", state.currentWorkflow ?? "—"),
    fact("Resource locks", state.resourceLocks?.length ? state.resourceLocks.join(", ") : "—"),
    fact("Errors reported", number(state.errorCount)),
    fact("Last activity", dateTime(state.lastActivityAt)),
    state.lastError ? fact("Last error", h("pre", {}, json(state.lastError))) : null,
    Object.keys(state.workflowData ?? {}).length ? fact("Workflow data", h("pre", {}, json(state.workflowData))) : null);
}

function fact(term, value) {
  return h("div", {}, h("dt", {}, term), h("dd", {}, value));
}
