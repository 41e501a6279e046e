// Executions of one agent with their steps and checkpoints, read again whenever an event says
// one of them moved (a step ran, an approval was decided …).

import { h } from "../dom.js";
import { dateTime, label, number } from "../format.js";
import { EXECUTIONS } from "../queries.js";
import { riskBadge } from "./badges.js";

const OPEN = new Set(["PLANNING", "RUNNING", "WAITING_APPROVAL"]);

export function executionsPanel(store, api, agentId) {
  const list = h("div", { class: "executions" });
  const element = h("section", { class: "panel", "aria-labelledby": "executions-heading" },
    h("h2", { id: "executions-heading" }, "Executions"), list);
  const expanded = new Map(); // execution id → open, as the operator left it
  let timer = null;
  let alive = true;

  const load = async () => {
    try {
      const data = await api.request(EXECUTIONS, { id: agentId });
      if (!alive) return;
      const executions = data.agent.executions.edges.map((edge) => edge.node);
      const focused = document.activeElement?.closest?.("details.execution");
      const refocus = focused && list.contains(focused) ? focused.dataset.executionId : null;
      list.replaceChildren(...(executions.length
        ? executions.map((execution, index) => executionItem(execution, expanded, index === 0))
        : [h("p", { class: "muted" }, "No executions yet.")]));
      if (refocus) list.querySelector(`details[data-execution-id="${CSS.escape(refocus)}"] > summary`)?.focus();
    } catch (error) {
      store.dispatchEvent(new CustomEvent("error", { detail: error }));
    }
  };
  const onExecution = (event) => {
    if (event.detail.agentId !== agentId) return;
    clearTimeout(timer);
    timer = setTimeout(load, 100); // one read for a burst of events
  };
  store.addEventListener("execution", onExecution);
  load();
  return {
    element,
    dispose: () => {
      alive = false;
      clearTimeout(timer);
      store.removeEventListener("execution", onExecution);
    },
  };
}

function executionItem(execution, expanded, newest) {
  const open = expanded.get(execution.id) ?? (newest || OPEN.has(execution.status));
  const details = h("details", { class: "execution", open, dataset: { executionId: execution.id, status: execution.status } },
    h("summary", {},
      h("span", { class: "description" }, execution.description),
      h("span", { class: `badge execution-status exec-${execution.status.toLowerCase()}` }, label(execution.status)),
      execution.dryRun ? h("span", { class: "badge" }, "Dry run") : null,
      h("time", { datetime: execution.startedAt, class: "muted" }, dateTime(execution.startedAt))),
    h("dl", { class: "facts" },
      fact("Completed", dateTime(execution.completedAt)),
      fact("Tokens", number(execution.tokensUsed)),
      fact("Cost", number(execution.cost)),
      execution.error ? fact("Error", execution.error) : null,
      execution.recoveryStrategy ? fact("Recovery", label(execution.recoveryStrategy)) : null),
    h("h3", {}, "Steps"),
    stepsTable(execution.steps),
    h("h3", {}, "Checkpoints"),
    execution.checkpoints.length
      ? h("ol", { class: "checkpoints" }, execution.checkpoints.map((checkpoint) =>
          h("li", { dataset: { checkpoint: checkpoint.name } }, h("code", {}, checkpoint.name), " · ",
            h("time", { datetime: checkpoint.createdAt }, dateTime(checkpoint.createdAt)))))
      : h("p", { class: "muted" }, "No checkpoints yet."));
  details.addEventListener("toggle", () => expanded.set(execution.id, details.open));
  return details;
}

function stepsTable(steps) {
  if (steps.length === 0) return h("p", { class: "muted" }, "No plan submitted yet.");
  return h("div", { class: "table-scroll" }, h("table", { class: "steps" },
    h("thead", {}, h("tr", {}, ["#", "Tool", "Risk", "Status", "Attempts", "Assessment"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, steps.map((step) => h("tr", { dataset: { index: String(step.index), status: step.status } },
      h("td", { class: "num" }, String(step.index + 1)),
      h("td", {}, h("code", {}, step.tool)),
      h("td", {}, riskBadge(step.riskLevel), step.requiresApproval ? h("span", { class: "badge approval-needed" }, "Needs approval") : null),
      h("td", { class: "step-status" }, label(step.status)),
      h("td", { class: "num" }, String(step.attempts)),
      h("td", { class: "assessment-cell" },
        step.risks.length ? h("p", {}, h("strong", {}, "Risks: "), step.risks.join("; ")) : null,
        step.mitigations.length ? h("p", {}, h("strong", {}, "Mitigations: "), step.mitigations.join("; ")) : null,
        step.error ? h("p", { class: "form-error" }, step.error) : null))))));
}

function fact(term, value) {
  return h("div", {}, h("dt", {}, term), h("dd", {}, value));
}
