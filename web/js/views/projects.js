// The project picker: every project the operator may see, with its agent counts.

import { h } from "../dom.js";
import { describe } from "../errors.js";
import { PROJECTS } from "../queries.js";

export function renderProjects(main, { api }) {
  const list = h("ul", { class: "project-list", "aria-busy": "true" });
  const heading = h("h1", { tabindex: "-1" }, "Projects");
  main.replaceChildren(h("section", { class: "panel projects", "aria-labelledby": "projects-heading" },
    Object.assign(heading, { id: "projects-heading" }), list));
  let alive = true;
  api.request(PROJECTS).then((data) => {
    if (!alive) return;
    list.removeAttribute("aria-busy");
    const projects = data.projects.edges.map((edge) => edge.node);
    if (projects.length === 0) {
      list.replaceWith(h("p", {}, "No projects yet. Create one through the API (createProject)."));
      return;
    }
    list.replaceChildren(...projects.map((project) => {
      const stats = project.agentStats;
      return h("li", {},
        h("a", { class: "project-link", href: `#/projects/${encodeURIComponent(project.id)}` },
          h("span", { class: "project-name" }, project.name),
          h("span", { class: "project-slug" }, project.slug),
          h("span", { class: "project-stats" },
            `${stats.totalInstances} agents · ${stats.activeInstances} active · ${stats.errorInstances} in error`)));
    }));
  }).catch((error) => {
    if (alive) list.replaceWith(h("p", { class: "form-error", role: "alert" }, describe(error)));
  });
  return () => {
    alive = false;
  };
}
