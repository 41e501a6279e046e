// The status history of one agent, newest first; live transitions are added as they commit.

import { h } from "../dom.js";
import { actor, dateTime, label } from "../format.js";
import { STATUS_HISTORY } from "../queries.js";
import { statusBadge } from "./badges.js";

export function historyPanel(store, api, agentId) {
  const list = h("ol", { class: "history" });
  const total = h("span", { class: "count" });
  const seen = new Set();
  let count = 0;
  const element = h("section", { class: "panel", "aria-labelledby": "history-heading" },
    h("h2", { id: "history-heading" }, "Status history ", total), list);

  const add = (transition, { prepend }) => {
    if (seen.has(transition.cursor)) return;
    seen.add(transition.cursor);
    const item = h("li", { dataset: { cursor: transition.cursor } },
      transition.fromStatus ? statusBadge(transition.fromStatus) : h("span", { class: "badge" }, "Spawned"),
      h("span", { class: "arrow", "aria-label": "to" }, " → "),
      statusBadge(transition.toStatus),
      h("span", { class: "reason" }, transition.reason ? ` ${transition.reason}` : ""),
      h("span", { class: "by muted" }, ` · ${actor(transition.actor)} · `),
      h("time", { datetime: transition.at }, dateTime(transition.at)));
    if (prepend) list.prepend(item);
    else list.append(item);
  };
  const onHistory = (event) => {
    if (event.detail.agentId !== agentId || seen.has(event.detail.transition.cursor)) return;
    add(event.detail.transition, { prepend: true });
    count += 1;
    total.textContent = `(${count})`;
  };
  store.addEventListener("history", onHistory);
  api.request(STATUS_HISTORY, { id: agentId }).then((data) => {
    count += data.agent.statusHistory.totalCount;
    total.textContent = `(${count})`;
    for (const { node } of data.agent.statusHistory.edges) add(node, { prepend: false });
  }).catch((error) => store.dispatchEvent(new CustomEvent("error", { detail: error })));
  return { element, dispose: () => store.removeEventListener("history", onHistory) };
}
