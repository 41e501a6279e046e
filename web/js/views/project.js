// A project's page: the live fleet table, pending approvals and recent activity.

import { h } from "../dom.js";
import { activityPanel } from "./activity.js";
import { approvalsPanel } from "./approvals.js";
import { fleetTable } from "./fleet.js";

export function renderProject(main, { api, store }) {
  const fleet = fleetTable(store);
  const approvals = approvalsPanel(store, api);
  const activity = activityPanel(store);
  const heading = h("h1", { tabindex: "-1" }, store.project.name);
  main.replaceChildren(h("div", { class: "project-page" },
    h("section", { class: "panel fleet-panel", "aria-labelledby": "fleet-heading" },
      h("div", { class: "panel-head" }, Object.assign(heading, { id: "fleet-heading" }),
        h("span", { class: "muted slug" }, store.project.slug)),
      fleet.element),
    h("div", { class: "side" }, approvals.element, activity.element)));
  document.title = `${store.project.name} · Agentgraph`;
  heading.focus();
  return () => {
    fleet.dispose();
    approvals.dispose();
    activity.dispose();
  };
}
