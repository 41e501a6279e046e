// Recent activity: every durable event the page received, newest first, with its cursor, so an
// operator (and a test) can see that nothing was missed across a reconnect.

import { h } from "../dom.js";
import { clock, label, person } from "../format.js";

export function activityPanel(store, { agentId = null } = {}) {
  const list = h("ol", { class: "activity-list", reversed: true });
  const element = h("section", { class: "panel activity", "aria-labelledby": "activity-heading" },
    h("h2", { id: "activity-heading" }, "Recent activity"), list);
  const shown = (entry) => agentId === null || entry.agent.id === agentId;
  const render = () => {
    const entries = store.activity.filter(shown);
    list.replaceChildren(...entries.map((entry) =>
      h("li", { dataset: { cursor: entry.cursor, kind: entry.kind } },
        h("time", { datetime: entry.at, class: "at" }, clock(entry.at)), " ",
        h("span", { class: "who" }, entry.agentName), " ",
        h("span", { class: "what" }, describeEvent(entry)))));
    if (entries.length === 0) list.append(h("li", { class: "empty" }, "No events since the page opened."));
  };
  store.addEventListener("activity", render);
  render();
  return { element, dispose: () => store.removeEventListener("activity", render) };
}

/** One line for an event: "Idle → Paused (maintenance)". */
export function describeEvent(event) {
  switch (event.kind) {
    case "STATUS_CHANGED":
      return `${event.fromStatus ? label(event.fromStatus) : "Spawned"} → ${label(event.toStatus)}${event.reason ? ` (${event.reason})` : ""}`;
    case "STATE_UPDATED":
      return "State updated";
    case "HEALTH_CHANGED":
      return `Health: ${label(event.health)}`;
    case "APPROVAL_REQUESTED":
      return `Approval requested: ${event.approval?.step.tool ?? "a step"}`;
    case "APPROVAL_DECIDED": {
      const approval = event.approval;
      const who = approval?.decidedBy ? ` by ${person(approval.decidedBy)}` : "";
      return `Approval ${label(approval?.status).toLowerCase()}${who}: ${approval?.step.tool ?? "a step"}`;
    }
    case "EXECUTION_UPDATED":
      return `Execution ${label(event.execution?.status).toLowerCase()}: ${event.execution?.description ?? ""}`;
    default:
      return label(event.kind);
  }
}
